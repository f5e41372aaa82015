-- One row per LSOA with its ward, local authority and centroid.
select
    upper(trim(lsoa_code)) as lsoa_code,
    trim(lsoa_name) as lsoa_name,
    upper(trim(ward_code)) as ward_code,
    trim(ward_name) as ward_name,
    upper(trim(lad_code)) as lad_code,
    trim(lad_name) as lad_name,
    {{ to_double('latitude') }} as latitude,
    {{ to_double('longitude') }} as longitude
from {{ source('raw', 'ons_lsoa_lookup') }}
