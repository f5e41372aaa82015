-- Census population of each ward and local authority by the groups survey respondents are weighted
-- to and compared with. Adults (16+) for age, sex and deprivation; ethnic group is all ages (the
-- census table has no adult split).
with lsoa_people as (
    select
        c.lsoa_code,
        c.sex_code,
        c.sex,
        c.age_band_code,
        c.age_band,
        c.population,
        d.imd_decile
    from {{ ref('stg_census__population_age_sex') }} as c
    left join {{ ref('stg_imd__deprivation') }} as d on c.lsoa_code = d.lsoa_code
    where c.age_band_code <> '1' and c.population is not null
),

groups as (
    select lsoa_code, 'age_band' as dimension, age_band_code as category_code, age_band as category_label, population
    from lsoa_people
    union all
    select lsoa_code, 'sex', sex_code, sex, population
    from lsoa_people
    union all
    select lsoa_code, 'age_sex', sex_code || '_' || age_band_code, sex || ', ' || age_band, population
    from lsoa_people
    union all
    select lsoa_code, 'imd_decile', cast(imd_decile as varchar),
        'IMD decile ' || cast(imd_decile as varchar) || case imd_decile when 1 then ' (most deprived)'
                                                                        when 10 then ' (least deprived)' else '' end,
        population
    from lsoa_people
    where imd_decile is not null
    union all
    select lsoa_code, 'imd_quintile', cast((imd_decile + 1) // 2 as varchar),
        'IMD quintile ' || cast((imd_decile + 1) // 2 as varchar), population
    from lsoa_people
    where imd_decile is not null
    union all
    select lsoa_code, 'ethnic_group', ethnic_group_code, ethnic_group, population
    from {{ ref('stg_census__population_ethnicity') }}
    where population is not null
),

placed as (
    select g.*, l.ward_code, l.lad_code
    from groups as g
    inner join {{ ref('stg_ons__lsoas') }} as l on g.lsoa_code = l.lsoa_code
)

select 'ward' as area_level, ward_code as area_code, dimension, category_code, min(category_label) as category_label,
    cast(sum(population) as bigint) as population
from placed
group by ward_code, dimension, category_code
union all
select 'lad', lad_code, dimension, category_code, min(category_label), cast(sum(population) as bigint)
from placed
group by lad_code, dimension, category_code
