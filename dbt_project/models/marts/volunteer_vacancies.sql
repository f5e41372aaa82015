-- The always-current vacancy list: every role open on the as-of date across all bureaus, with a role
-- advertised by two bureaus listed once (lineage in bureau_feeds / source_vacancy_keys); adverts come from
-- RPDE feeds and Volunteering Data Standard snapshots alike (int_vacancy_adverts). Deleted and expired
-- adverts are excluded upstream (int_vacancies_filtered); int_vacancy_adverts_audit accounts for each.
with requirements as (
    -- list-valued fields are DuckDB LISTs (Parquet lists): no separator to split on
    select
        vacancy_uid,
        list(term_name order by term_name) filter (where attribute = 'skill') as skills_needed,
        list(term_name order by term_name) filter (where attribute = 'cause') as causes,
        list(term_code order by {{ slot_order('term_code') }}) filter (where attribute = 'availability')
            as availability
    from {{ ref('int_vacancy_requirements') }}
    group by vacancy_uid
),

advertised as (
    select l.vacancy_uid, list(a.skill_text order by a.skill_text) as skills_as_advertised
    from {{ ref('int_vacancy_lineage') }} as l
    inner join (
        select distinct vacancy_key, attribute_value as skill_text
        from {{ ref('int_vacancy_advert_attributes') }}
        where attribute = 'skill'
    ) as a on l.vacancy_key = a.vacancy_key
    group by l.vacancy_uid
),

matched as (
    select vacancy_uid, count(*) as matched_volunteers
    from {{ ref('int_volunteer_match_scores') }}
    where match_rank <= {{ volunteer_matches_per_vacancy() }}
    group by vacancy_uid
)

select
    d.vacancy_uid,
    d.title,
    d.organisation_name,
    r.skills_needed,
    a.skills_as_advertised,
    r.causes,
    r.availability,
    d.hours_per_week,
    d.start_date,
    d.closing_date,
    d.postcode,
    d.lsoa_code,
    d.ward_code,
    d.ward_name,
    d.lad_code,
    d.lad_name,
    d.url,
    d.advert_count,
    d.bureau_feeds,
    d.source_vacancy_keys,
    timezone('UTC', {{ epoch_ms_to_timestamp('d.last_modified_ms') }}) as last_updated,
    cast(coalesce(m.matched_volunteers, 0) as integer) as matched_volunteers
from {{ ref('int_vacancies_deduplicated') }} as d
left join requirements as r on d.vacancy_uid = r.vacancy_uid
left join advertised as a on d.vacancy_uid = a.vacancy_uid
left join matched as m on d.vacancy_uid = m.vacancy_uid
