-- Usual residents by LSOA × sex × census age band.
select
    upper(trim(lsoa_code)) as lsoa_code,
    trim(sex_code) as sex_code,
    trim(sex_label) as sex,
    trim(age_band_code) as age_band_code,
    trim(age_band_label) as age_band,
    {{ to_int('observation') }} as population
from {{ source('raw', 'census_age_sex') }}
