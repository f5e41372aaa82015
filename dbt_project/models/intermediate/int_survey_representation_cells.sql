-- Private, unsuppressed respondents (each resident once) against census population per ward and local
-- authority × period × dimension × category, with each count's survey cell key (macros/disclosure.sql).
with residents as (
    select r.*, k.record_key
    from {{ ref('int_survey_residents_profiled') }} as r
    inner join {{ ref('int_survey_resident_record_keys') }} as k on r.resident_key = k.resident_key
    where r.lsoa_code is not null
),

respondent_groups as (
    select period, ward_code, lad_code, record_key, 'age_band' as dimension, age_band_code as category_code
    from residents where age_band_code is not null and age_band_code <> '1'
    union all
    select period, ward_code, lad_code, record_key, 'sex', sex_code from residents where sex_code is not null
    union all
    select period, ward_code, lad_code, record_key, 'ethnic_group', ethnic_group_code from residents
    where ethnic_group_code is not null
    union all
    select period, ward_code, lad_code, record_key, 'imd_decile', cast(imd_decile as varchar) from residents
    where imd_decile is not null
),

respondents as (
    select 'ward' as area_level, ward_code as area_code, period, dimension, category_code, count(*) as respondents,
        sum(record_key) as key_sum
    from respondent_groups group by ward_code, period, dimension, category_code
    union all
    select 'lad', lad_code, period, dimension, category_code, count(*), sum(record_key)
    from respondent_groups group by lad_code, period, dimension, category_code
),

population as (
    select p.area_level, p.area_code, p.dimension, p.category_code, p.category_label, p.population, x.period
    from {{ ref('int_survey_population_margins') }} as p
    cross join (select distinct period from residents) as x
    where p.dimension in ('age_band', 'sex', 'ethnic_group', 'imd_decile')
),

parents as (
    select distinct 'ward' as area_level, ward_code as area_code, lad_code as parent_area_code
    from {{ ref('stg_ons__lsoas') }}
    union all
    select distinct 'lad', lad_code, cast(null as varchar)
    from {{ ref('stg_ons__lsoas') }}
),

cells as (
    select
        coalesce(p.area_level, r.area_level) as area_level,
        coalesce(p.area_code, r.area_code) as area_code,
        coalesce(p.period, r.period) as period,
        coalesce(p.dimension, r.dimension) as dimension,
        coalesce(p.category_code, r.category_code) as category_code,
        p.category_label,
        coalesce(r.respondents, 0) as respondents,
        r.key_sum,
        coalesce(p.population, 0) as population
    from population as p
    full outer join respondents as r
        on p.area_level = r.area_level and p.area_code = r.area_code and p.period = r.period
       and p.dimension = r.dimension and p.category_code = r.category_code
)

select
    c.*,
    pa.parent_area_code,
    sum(c.respondents) over (partition by c.area_level, c.area_code, c.period, c.dimension) as respondents_known,
    sum(c.population) over (partition by c.area_level, c.area_code, c.period, c.dimension) as population_total,
    {{ survey_cell_key('c.key_sum', 'w.wave_key') }} as cell_key
from cells as c
left join parents as pa on c.area_level = pa.area_level and c.area_code = pa.area_code
left join {{ ref('int_survey_wave_keys') }} as w on c.period = w.period
