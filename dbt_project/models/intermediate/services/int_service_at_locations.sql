-- The unit the service map deduplicates: one row per source service-at-location, carrying the
-- standardised service fields, the geocoded place and the canonical category. A service listed without
-- any location (a phone line, an online service) is one row with no place, so that every loaded
-- service record is accounted for.
with categories as (
    select
        service_key,
        min(category_code) as category_code,
        count(distinct category_code) as mapped_categories
    from {{ ref('int_directory_service_categories') }}
    group by service_key
)

select
    s.service_key || '|' || coalesce(g.service_at_location_id, '') as source_record_key,
    s.service_key,
    s.directory,
    s.service_id,
    g.service_at_location_id,
    g.location_id,
    s.service_name,
    s.service_name_clean,
    s.service_name_core,
    s.organisation_id,
    s.organisation_name,
    s.organisation_clean,
    s.description,
    s.status,
    s.email,
    s.email_domain,
    s.service_email_key,
    s.service_url,
    s.organisation_website,
    s.web_domain,
    s.phone,
    s.last_modified,
    c.category_code,
    g.location_name,
    {{ clean_text('g.location_name') }} as location_name_clean,
    g.address_1,
    {{ clean_text('g.address_1') }} as address_clean,
    g.city,
    g.postcode,
    {{ compact_postcode('g.postcode') }} as postcode_key,
    g.postcode_status,
    g.lsoa_code,
    g.ward_code,
    g.ward_name,
    g.lad_code,
    g.latitude,
    g.longitude
from {{ ref('int_directory_services_standardised') }} as s
left join {{ ref('int_service_locations_geocoded') }} as g
    on s.service_key = g.service_key
left join categories as c
    on s.service_key = c.service_key
