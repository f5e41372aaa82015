-- What each directory could fix or check, one row per listing and issue: postcodes the ONS lookup does
-- not know (or only as terminated), listings without a postcode or a location, category terms the
-- canonical taxonomy does not map, and strong matches the map did not merge (a likely duplicate inside
-- one directory, or a second candidate for a service already matched in that directory).
with places as (
    select
        directory, service_id, service_at_location_id, source_record_key,
        case postcode_status
            when 'unknown' then 'unknown_postcode'
            when 'terminated' then 'terminated_postcode'
            when 'missing' then 'missing_postcode'
        end as issue,
        postcode as detail
    from {{ ref('int_service_at_locations') }}
    where service_at_location_id is not null and postcode_status <> 'live'

    union all

    select
        directory, service_id, service_at_location_id, source_record_key, 'no_location' as issue,
        cast(null as varchar) as detail
    from {{ ref('int_service_at_locations') }}
    where service_at_location_id is null
),

categories as (
    select
        directory, service_id, cast(null as varchar) as service_at_location_id,
        cast(null as varchar) as source_record_key, 'unmapped_category' as issue,
        coalesce(vocabulary, '?') || ': ' || term as detail
    from {{ ref('int_directory_service_categories') }} as c
    inner join {{ ref('stg_directories__services') }} as s using (service_key, directory)
    where category_code is null
),

unmerged as (
    select
        a.directory, a.service_id, a.service_at_location_id, a.source_record_key,
        case when a.directory = b.directory then 'possible_duplicate_in_directory' else 'match_not_merged' end
            as issue,
        b.source_record_key || ' (match probability ' || cast(round(p.match_probability, 4) as varchar) || ')'
            as detail
    from {{ ref('int_service_match_pairs') }} as p
    inner join {{ ref('int_service_map_members') }} as a on p.source_record_key_l = a.source_record_key
    inner join {{ ref('int_service_map_members') }} as b on p.source_record_key_r = b.source_record_key
    where p.match_probability >= {{ var('service_match_threshold') }}
        and a.canonical_service_id <> b.canonical_service_id
)

select directory, service_id, service_at_location_id, source_record_key, issue, detail from places
union all
select directory, service_id, service_at_location_id, source_record_key, issue, detail from categories
union all
select directory, service_id, service_at_location_id, source_record_key, issue, detail from unmerged
