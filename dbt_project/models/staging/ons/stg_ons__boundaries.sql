-- One row per LSOA boundary polygon (validated at ingest), geometry kept as GeoJSON text.
select
    upper(trim(lsoa_code)) as lsoa_code,
    trim(lsoa_name) as lsoa_name,
    geometry_type,
    geometry,
    {{ to_double('min_lon') }} as min_lon,
    {{ to_double('min_lat') }} as min_lat,
    {{ to_double('max_lon') }} as max_lon,
    {{ to_double('max_lat') }} as max_lat
from {{ source('raw', 'area_boundaries') }}
