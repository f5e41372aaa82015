-- Postcode → LSOA lookup (live and terminated postcodes); postcode_key is the join key.
select
    {{ compact_postcode('pcds') }} as postcode_key,
    upper(trim(pcds)) as postcode,
    upper(trim(lsoa_code)) as lsoa_code,
    nullif(trim(date_introduced), '') as date_introduced,
    nullif(trim(date_terminated), '') as date_terminated,
    (nullif(trim(date_terminated), '') is not null) as is_terminated,
    {{ to_double('latitude') }} as latitude,
    {{ to_double('longitude') }} as longitude
from {{ source('raw', 'ons_postcodes') }}
