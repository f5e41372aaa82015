-- The partnership's deduplicated service map: one row per canonical service at a location, with what
-- its member listings say after survivorship (int_service_map_members) and where they came from.
with members as (
    select * from {{ ref('int_service_map_members') }}
),

named as (
    select canonical_service_id, service_name_display as service_name, description, service_url
    from members
    where name_rank = 1
),

current_status as (
    select canonical_service_id, status
    from members
    where status_rank = 1
),

placed as (
    select
        canonical_service_id, location_name, address_1, city, postcode, postcode_status, lsoa_code,
        ward_code, ward_name, lad_code, lad_name, latitude, longitude
    from members
    where place_rank = 1
),

sources as (
    select
        canonical_service_id,
        max(service_group_id) as service_group_id,
        max(canonical_organisation_name) as organisation_name,
        max(canonical_category_code) as category_code,
        max(canonical_phone) as phone,
        max(canonical_email) as email,
        max(canonical_web_domain) as web_domain,
        count(*) as source_records,
        count(distinct directory) as source_directory_count,
        {{ listagg('distinct directory', "'; '", 'order by directory') }} as source_directories,
        {{ listagg('source_record_key', "'; '", 'order by source_record_key') }} as source_record_keys,
        min(match_probability) as min_match_probability,
        max(last_modified) as last_modified
    from members
    group by canonical_service_id
)

select
    s.canonical_service_id,
    s.service_group_id,
    n.service_name,
    s.organisation_name,
    s.category_code,
    t.category_label,
    st.status,
    n.description,
    p.location_name,
    p.address_1,
    p.city,
    p.postcode,
    p.postcode_status,
    p.lsoa_code,
    p.ward_code,
    p.ward_name,
    p.lad_code,
    p.lad_name,
    cast(p.latitude as double) as latitude,
    cast(p.longitude as double) as longitude,
    s.phone,
    s.email,
    case when s.web_domain is not null then 'https://' || s.web_domain end as website,
    n.service_url,
    cast(s.source_records as bigint) as source_records,
    cast(s.source_directory_count as bigint) as source_directory_count,
    s.source_directories,
    s.source_record_keys,
    cast(s.min_match_probability as double) as min_match_probability,
    timezone('UTC', s.last_modified) as last_modified
from sources as s
inner join named as n on s.canonical_service_id = n.canonical_service_id
inner join current_status as st on s.canonical_service_id = st.canonical_service_id
inner join placed as p on s.canonical_service_id = p.canonical_service_id
left join {{ ref('service_taxonomy') }} as t on s.category_code = t.category_code
