-- One row per open role across all bureaus. Details come from the most recently modified advert of
-- the role (a VDS activity has no modification time, so an RPDE advert of the same role, which also
-- states the hours, is preferred); the closing date is the latest any bureau still advertises (NULL if
-- one has none); last_modified_ms is NULL for a role only VDS sources list.
with adverts as (
    select
        l.vacancy_uid,
        v.*,
        row_number() over (partition by l.vacancy_uid order by v.modified desc nulls last, v.vacancy_key) as recency
    from {{ ref('int_vacancy_lineage') }} as l
    inner join {{ ref('int_vacancies_filtered') }} as v on l.vacancy_key = v.vacancy_key
),

roles as (
    select
        vacancy_uid,
        count(*) as advert_count,
        min(start_date) as start_date,
        case when count(closing_date) < count(*) then null else max(closing_date) end as closing_date,
        max(modified) as last_modified_ms,
        {{ dbt.listagg('bureau_feed', "', '", "order by bureau_feed") }} as bureau_feeds,
        {{ dbt.listagg('vacancy_key', "'; '", "order by vacancy_key") }} as source_vacancy_keys
    from adverts
    group by vacancy_uid
)

select
    r.vacancy_uid,
    a.title,
    a.organisation_name,
    a.hours_per_week,
    r.start_date,
    r.closing_date,
    a.postcode,
    a.lsoa_code,
    lsoa.ward_code,
    lsoa.ward_name,
    lsoa.lad_code,
    lsoa.lad_name,
    a.url,
    cast(r.advert_count as integer) as advert_count,
    r.bureau_feeds,
    r.source_vacancy_keys,
    r.last_modified_ms
from roles as r
inner join adverts as a on r.vacancy_uid = a.vacancy_uid and a.recency = 1
left join {{ ref('stg_ons__lsoas') }} as lsoa on a.lsoa_code = lsoa.lsoa_code
