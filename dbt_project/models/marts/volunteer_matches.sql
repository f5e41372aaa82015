-- For each open role, the top volunteers (volunteer_matches_per_vacancy(), default 5) by score, with
-- the non-spatial parts of the score and a readable reason. Volunteers appear only by volunteer_ref (a
-- pseudonym, replaced per receiving partner in its own file: warehouse/partner_files.py): no names,
-- contact details, postcodes, dates of birth or home areas. Disclosure rule partner_only
-- (config/disclosure_policy.yml): the distance is banded and nothing that derives it (exact km, proximity
-- score, total score, travel limit) is published, so rows cannot be trilaterated from role locations.
with top as (
    select *
    from {{ ref('int_volunteer_match_scores') }}
    where match_rank <= {{ volunteer_matches_per_vacancy() }}
),

shared as (
    select
        t.vacancy_uid,
        t.person_key,
        {{ dbt.listagg("case when q.attribute = 'skill' then q.term_name end", "', '", "order by q.term_name") }}
            as skill_names,
        {{ dbt.listagg("case when q.attribute = 'availability' then q.term_name end", "', '",
                       "order by " ~ slot_order('q.term_code')) }} as slot_names,
        {{ dbt.listagg("case when q.attribute = 'cause' then q.term_name end", "', '", "order by q.term_name") }}
            as cause_names
    from top as t
    inner join {{ ref('int_vacancy_requirements') }} as q on t.vacancy_uid = q.vacancy_uid
    inner join {{ ref('int_volunteer_offers') }} as o
        on t.person_key = o.person_key and q.attribute = o.attribute and q.term_code = o.term_code
    group by t.vacancy_uid, t.person_key
)

select
    t.vacancy_uid,
    d.title as vacancy_title,
    t.match_rank,
    t.volunteer_ref,
    t.skills_score,
    t.availability_score,
    t.cause_score,
    {{ distance_band('t.distance_km') }} as distance_band,
    t.shared_skills,
    t.shared_slots,
    'skills: ' || coalesce(s.skill_names, 'none named')
        || '; ' || cast(t.shared_slots as varchar)
        || case when t.shared_slots = 1 then ' shared slot' else ' shared slots' end
        || case when s.slot_names is not null then ' (' || s.slot_names || ')' else '' end
        || '; ' || {{ distance_band('t.distance_km') }} || ' away (within their travel limit)'
        || case when s.cause_names is not null then '; causes: ' || s.cause_names else '' end as reasons
from top as t
inner join {{ ref('int_vacancies_deduplicated') }} as d on t.vacancy_uid = d.vacancy_uid
left join shared as s on t.vacancy_uid = s.vacancy_uid and t.person_key = s.person_key
