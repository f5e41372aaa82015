-- Service-at-locations placed in an LSOA (and so a ward and local authority) through the ONS
-- postcode lookup. Coordinates: the listing's own when they fall in England's bounding box, else the
-- postcode's centroid.
with located as (
    select
        loc.*,
        pc.postcode_key as matched_postcode,
        pc.is_terminated,
        pc.lsoa_code,
        pc.latitude as postcode_latitude,
        pc.longitude as postcode_longitude,
        (loc.latitude between 49.8 and 55.9 and loc.longitude between -6.5 and 2.0) as listing_in_england
    from {{ ref('stg_directories__service_locations') }} as loc
    left join {{ ref('stg_ons__postcodes') }} as pc
        on loc.postcode_key = pc.postcode_key
)

select
    l.service_key,
    l.directory,
    l.service_id,
    l.service_at_location_id,
    l.location_id,
    l.location_name,
    l.address_1,
    l.city,
    l.postal_code,
    {{ format_postcode('l.postal_code') }} as postcode,
    l.lsoa_code,
    a.ward_code,
    a.ward_name,
    a.lad_code,
    a.lad_name,
    case
        when l.postcode_key is null then 'missing'
        when l.matched_postcode is null then 'unknown'
        when l.is_terminated then 'terminated'
        else 'live'
    end as postcode_status,
    case when coalesce(l.listing_in_england, false) then l.latitude else l.postcode_latitude end as latitude,
    case when coalesce(l.listing_in_england, false) then l.longitude else l.postcode_longitude end as longitude,
    case
        when coalesce(l.listing_in_england, false) then 'listing'
        when l.postcode_latitude is not null then 'postcode'
    end as coordinates_from
from located as l
left join {{ ref('stg_ons__lsoas') }} as a
    on l.lsoa_code = a.lsoa_code
