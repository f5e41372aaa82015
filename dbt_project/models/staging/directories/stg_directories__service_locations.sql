-- Where each service is delivered; postcode_key joins the ONS postcode lookup.
select
    _source || ':' || service_id as service_key,
    _source as directory,
    service_id,
    coalesce(service_at_location_id, location_id, service_id) as service_at_location_id,
    location_id,
    location_name,
    address_1,
    city,
    upper(trim(postal_code)) as postal_code,
    {{ compact_postcode('postal_code') }} as postcode_key,
    {{ to_double('latitude') }} as latitude,
    {{ to_double('longitude') }} as longitude
from {{ source('raw', 'directory_service_locations') }}
