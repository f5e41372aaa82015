-- Every vacancy advert from every source format, in one shape: RPDE bureau vacancies (deleted ones as
-- tombstones) and Volunteering Data Standard activities. Each is placed in an LSOA — RPDE by its
-- postcode, VDS as int_vds_activities_located decides — or carries the reason it is unplaced.
-- VDS has no hours per week and no modification time: those are NULL. (The snapshot's fetch time is not
-- used instead: publishing twice from the same data must give identical tables.)
select
    v.vacancy_key,
    v.bureau_feed,
    'rpde' as source_format,
    v.vacancy_id,
    v.is_deleted,
    v.modified,
    v.title,
    v.organisation_id,
    v.organisation_name,
    v.description,
    v.hours_per_week,
    v.postcode,
    v.postcode_key,
    v.start_date,
    v.closing_date,
    v.url,
    pc.lsoa_code,
    case when pc.lsoa_code is not null then 'postcode' end as located_by,
    case
        when pc.lsoa_code is not null then null
        when v.postcode_key is null or v.postcode_key = '' then 'no postcode'
        else 'postcode not in the ONS lookup'
    end as unplaced_reason
from {{ ref('stg_bureaus__vacancies') }} as v
left join {{ ref('stg_ons__postcodes') }} as pc on v.postcode_key = pc.postcode_key

union all

select
    a.vacancy_key,
    a.bureau_feed,
    'vds' as source_format,
    a.activity_id as vacancy_id,
    false as is_deleted,
    cast(null as bigint) as modified,
    a.title,
    a.organisation_id,
    a.organisation_name,
    a.description,
    cast(null as double) as hours_per_week,
    l.postcode,
    l.postcode_key,
    a.start_date,
    a.end_date as closing_date,
    a.url,
    l.lsoa_code,
    l.located_by,
    l.unplaced_reason
from {{ ref('stg_vds__activities') }} as a
inner join {{ ref('int_vds_activities_located') }} as l on a.vacancy_key = l.vacancy_key
