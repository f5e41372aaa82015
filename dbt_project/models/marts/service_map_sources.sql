-- Lineage of the service map: every record every directory sent, and what became of it — one row per
-- source service-at-location merged into exactly one canonical service (with its match probability),
-- or one row per service record quarantined at ingest (with the reason).
with quarantined as (
    select
        source as directory,
        record_key,
        reason,
        row_number() over (partition by source, record_key order by reason) as occurrence
    from {{ ref('stg_meta__quarantine') }}
    where family = 'service_maps'
)

select
    source_record_key,
    directory,
    service_id,
    service_at_location_id,
    location_id,
    'mapped' as outcome,
    canonical_service_id,
    service_group_id,
    service_name,
    organisation_name,
    postcode,
    cast(cluster_size as bigint) as cluster_size,
    cast(match_probability as double) as match_probability,
    cast(null as varchar) as quarantine_reason
from {{ ref('int_service_map_members') }}

union all

select
    directory || ':' || coalesce(record_key, '') || '#quarantined-' || cast(occurrence as varchar) as source_record_key,
    directory,
    record_key as service_id,
    cast(null as varchar) as service_at_location_id,
    cast(null as varchar) as location_id,
    'quarantined' as outcome,
    cast(null as varchar) as canonical_service_id,
    cast(null as varchar) as service_group_id,
    cast(null as varchar) as service_name,
    cast(null as varchar) as organisation_name,
    cast(null as varchar) as postcode,
    cast(null as bigint) as cluster_size,
    cast(null as double) as match_probability,
    reason as quarantine_reason
from quarantined
