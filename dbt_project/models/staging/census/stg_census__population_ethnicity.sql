-- Usual residents by LSOA × ethnic group ("Does not apply" dropped).
select
    upper(trim(lsoa_code)) as lsoa_code,
    trim(ethnic_group_code) as ethnic_group_code,
    trim(ethnic_group_label) as ethnic_group,
    {{ to_int('observation') }} as population
from {{ source('raw', 'census_ethnicity') }}
where trim(ethnic_group_code) <> '-8'
