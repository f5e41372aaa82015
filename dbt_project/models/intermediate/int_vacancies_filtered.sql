-- Vacancy adverts (RPDE and VDS, int_vacancy_adverts) open on the as-of date (not deleted, not past their
-- closing date), with their LSOA. A vacancy is open through its closing date; one with no closing date
-- stays open until deleted; one starting later is open now (it is recruiting).
select
    v.vacancy_key,
    v.bureau_feed,
    v.source_format,
    v.vacancy_id,
    v.title,
    v.organisation_id,
    v.organisation_name,
    v.hours_per_week,
    v.start_date,
    v.closing_date,
    v.postcode,
    v.postcode_key,
    v.url,
    v.modified,
    v.lsoa_code
from {{ ref('int_vacancy_adverts') }} as v
where not v.is_deleted
  and (v.closing_date is null or v.closing_date >= {{ as_of_date() }})
