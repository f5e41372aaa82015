-- The unit the service map deduplicates: one row per source service-at-location, carrying the
-- standardised service fields, the geocoded place and the canonical category. A service listed without
-- any location (a phone line, an online service) is one row with no place, so that every loaded
-- service record is accounted for.
with categories as (
    select
        service_key,
        min(category_code) as category_code
    from {{ ref('int_directory_service_categories') }}
    group by service_key
),

joined as (
    select
        s.*,
        g.service_at_location_id,
        g.location_id,
        g.location_name,
        g.address_1,
        g.city,
        g.postcode,
        g.postcode_status,
        g.lsoa_code,
        g.ward_code,
        g.ward_name,
        g.lad_code,
        g.lad_name,
        g.latitude,
        g.longitude,
        c.category_code,
        -- the name without a leading "Organisation – ", a trailing " (Organisation)" or a trailing
        -- " - Town" that some directories add (NULL when there is nothing to take off)
        trim(case
            when s.organisation_name is not null and length(s.service_name) > length(s.organisation_name) + 2
                and lower(left(s.service_name, length(s.organisation_name))) = lower(s.organisation_name)
                then ltrim(substr(s.service_name, length(s.organisation_name) + 1), ' –—-:,')
            when s.organisation_name is not null
                and lower(right(s.service_name, length(s.organisation_name) + 3))
                    = lower(' (' || s.organisation_name || ')')
                then left(s.service_name, length(s.service_name) - length(s.organisation_name) - 3)
            when g.city is not null
                and lower(right(s.service_name, length(g.city) + 3)) in (lower(' - ' || g.city), lower(' – ' || g.city))
                then left(s.service_name, length(s.service_name) - length(g.city) - 3)
        end) as name_stripped
    from {{ ref('int_directory_services_standardised') }} as s
    left join {{ ref('int_service_locations_geocoded') }} as g
        on s.service_key = g.service_key
    left join categories as c
        on s.service_key = c.service_key
)

select
    service_key || '|' || coalesce(service_at_location_id, '') as source_record_key,
    service_key,
    directory,
    service_id,
    service_at_location_id,
    location_id,
    service_name,
    case
        when name_stripped is null or name_stripped = '' then service_name
        else upper(substr(name_stripped, 1, 1)) || substr(name_stripped, 2)
    end as service_name_display,
    service_name_clean,
    service_name_core,
    organisation_id,
    organisation_name,
    organisation_clean,
    description,
    status,
    email,
    email_domain,
    service_email_key,
    service_url,
    organisation_website,
    web_domain,
    phone,
    last_modified,
    category_code,
    location_name,
    {{ clean_text('location_name') }} as location_name_clean,
    address_1,
    {{ clean_text('address_1') }} as address_clean,
    city,
    postcode,
    {{ compact_postcode('postcode') }} as postcode_key,
    postcode_status,
    lsoa_code,
    ward_code,
    ward_name,
    lad_code,
    lad_name,
    latitude,
    longitude
from joined
