-- Service-at-locations placed in an LSOA through the ONS postcode lookup.
select
    loc.service_key,
    loc.directory,
    loc.service_id,
    loc.service_at_location_id,
    loc.postal_code,
    pc.lsoa_code,
    case
        when loc.postcode_key is null then 'missing'
        when pc.postcode_key is null then 'unknown'
        when pc.is_terminated then 'terminated'
        else 'live'
    end as postcode_status,
    coalesce(loc.latitude, pc.latitude) as latitude,
    coalesce(loc.longitude, pc.longitude) as longitude
from {{ ref('stg_directories__service_locations') }} as loc
left join {{ ref('stg_ons__postcodes') }} as pc
    on loc.postcode_key = pc.postcode_key
