-- Every session location of every VDS activity, with the postcode found in its address text (VDS has no
-- postcode field) and its coordinates when they parse and lie on Earth. Blank or (0, 0) coordinates are NULL.
with typed as (
    select
        _source || ':' || activity_id as vacancy_key,
        activity_id,
        nullif(trim(session_id), '') as session_id,
        nullif(trim(location_id), '') as location_id,
        nullif(trim(location_type), '') as location_type,
        nullif(trim(regexp_replace(address, '\s+', ' ', 'g')), '') as address,
        {{ to_double('latitude') }} as latitude,
        {{ to_double('longitude') }} as longitude
    from {{ source('raw', 'vds_activity_locations') }}
)

select
    vacancy_key,
    activity_id,
    session_id,
    location_id,
    location_type,
    address,
    {{ format_postcode(postcode_in_text('address')) }} as postcode,
    {{ compact_postcode(postcode_in_text('address')) }} as postcode_key,
    case when latitude between -90 and 90 and longitude between -180 and 180
              and not (latitude = 0 and longitude = 0) then latitude end as latitude,
    case when latitude between -90 and 90 and longitude between -180 and 180
              and not (latitude = 0 and longitude = 0) then longitude end as longitude,
    cast(row_number() over (partition by vacancy_key order by session_id, location_id, address) as integer)
        as location_no
from typed
