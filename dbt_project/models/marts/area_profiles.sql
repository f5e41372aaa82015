-- One row per LSOA joining geography, census, deprivation and what every partner feed holds there.
-- Counts of people (survey responses, volunteers living here) are published with cell-key perturbation
-- (macros/disclosure.sql; rule cell_key_perturbation in config/disclosure_policy.yml): the same person
-- always carries the same record key; each cell key adds a key of the whole count (every response; every
-- volunteer: the register key) and the result is rounded to 5, so a one-person change between
-- publications re-draws every LSOA, and this LSOA against its ward in volunteering_by_area reveals no one. Volunteers living here: the definition in
-- int_volunteer_residence_cells, shared with volunteering_by_area.
with population as (
    select
        lsoa_code,
        sum(population) as population_total,
        sum(case when age_band_code <> '1' then population else 0 end) as population_16_plus,
        sum(case when age_band_code in ('6', '7') then population else 0 end) as population_65_plus
    from {{ ref('stg_census__population_age_sex') }}
    group by lsoa_code
),

ethnicity as (
    select
        lsoa_code,
        sum(case when ethnic_group_code <> '4' then population else 0 end) as population_not_white,
        sum(population) as population_ethnicity_total
    from {{ ref('stg_census__population_ethnicity') }}
    group by lsoa_code
),

responses as (
    select r.lsoa_code, count(*) as survey_responses, sum(k.record_key) as key_sum
    from {{ ref('stg_surveys__respondents') }} as r
    inner join {{ ref('int_survey_responses_linked') }} as l on r.response_key = l.response_key
    inner join {{ ref('int_survey_resident_record_keys') }} as k on l.resident_key = k.resident_key
    where r.lsoa_code is not null
    group by r.lsoa_code
),

respondents as (
    -- the cell key adds the responses key (the record keys of every response counted here, in any LSOA), so
    -- one added response re-draws every LSOA's published count, as the wave key does for the survey marts
    select r.lsoa_code, r.survey_responses, {{ survey_cell_key('r.key_sum', 'k.responses_key') }} as cell_key
    from responses as r
    cross join (select {{ cell_key('key_sum') }} as responses_key from responses) as k
),

services as (
    select lsoa_code, count(*) as service_locations
    from {{ ref('int_service_locations_geocoded') }}
    where lsoa_code is not null
    group by lsoa_code
),

vacancies as (
    select lsoa_code, count(*) as open_vacancies
    from {{ ref('int_vacancies_filtered') }}
    where lsoa_code is not null
    group by lsoa_code
),

volunteers as (
    select area_code as lsoa_code, volunteers as registered_volunteers, cell_key
    from {{ ref('int_volunteer_residence_cells') }}
    where area_level = 'lsoa'
)

select
    l.lsoa_code,
    l.lsoa_name,
    l.ward_code,
    l.ward_name,
    l.lad_code,
    l.lad_name,
    l.latitude,
    l.longitude,
    cast(coalesce(p.population_total, 0) as bigint) as population_total,
    cast(coalesce(p.population_16_plus, 0) as bigint) as population_16_plus,
    cast(round(100.0 * p.population_65_plus / nullif(p.population_total, 0), 1) as double) as pct_aged_65_plus,
    cast(round(100.0 * e.population_not_white / nullif(e.population_ethnicity_total, 0), 1) as double)
        as pct_ethnic_minority,
    d.imd_rank,
    d.imd_decile,
    {{ survey_count('r.survey_responses', 'r.cell_key') }} as survey_responses,
    cast(coalesce(s.service_locations, 0) as bigint) as service_locations,
    cast(coalesce(v.open_vacancies, 0) as bigint) as open_vacancies,
    {{ volunteer_count('vol.registered_volunteers', 'vol.cell_key') }} as registered_volunteers
from {{ ref('stg_ons__lsoas') }} as l
left join population as p on l.lsoa_code = p.lsoa_code
left join ethnicity as e on l.lsoa_code = e.lsoa_code
left join {{ ref('stg_imd__deprivation') }} as d on l.lsoa_code = d.lsoa_code
left join respondents as r on l.lsoa_code = r.lsoa_code
left join services as s on l.lsoa_code = s.lsoa_code
left join vacancies as v on l.lsoa_code = v.lsoa_code
left join volunteers as vol on l.lsoa_code = vol.lsoa_code
