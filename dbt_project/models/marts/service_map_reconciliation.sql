-- Per directory: every record received is either quarantined or loaded, every loaded service is on
-- the map, and every service-at-location is in exactly one canonical service.
with ledger as (
    select source as directory, received, loaded, quarantined
    from {{ ref('stg_meta__load_ledger') }}
    where family = 'service_maps'
),

landed as (
    select directory, count(*) as services_landed
    from {{ ref('stg_directories__services') }}
    group by directory
),

listings as (
    select directory, count(*) as service_at_locations
    from {{ ref('int_service_at_locations') }}
    group by directory
),

memberships as (
    select source_record_key, count(distinct canonical_service_id) as canonical_services
    from {{ ref('int_service_clusters') }}
    group by source_record_key
),

lineage as (
    select
        s.directory,
        sum(case when s.outcome = 'mapped' then 1 else 0 end) as listings_mapped,
        count(distinct case when s.outcome = 'mapped' then s.service_id end) as services_mapped,
        sum(case when s.outcome = 'quarantined' then 1 else 0 end) as records_quarantined_in_lineage,
        sum(case when s.outcome = 'mapped' and m.canonical_services <> 1 then 1 else 0 end)
            as listings_not_in_exactly_one,
        count(distinct s.canonical_service_id) as canonical_services
    from {{ ref('service_map_sources') }} as s
    left join memberships as m
        on s.source_record_key = m.source_record_key
    group by s.directory
)

select
    l.directory,
    cast(l.received as bigint) as records_received,
    cast(l.quarantined as bigint) as records_quarantined,
    cast(l.loaded as bigint) as records_loaded,
    cast(coalesce(d.services_landed, 0) as bigint) as services_landed,
    cast(coalesce(g.services_mapped, 0) as bigint) as services_mapped,
    cast(coalesce(s.service_at_locations, 0) as bigint) as service_at_locations,
    cast(coalesce(g.listings_mapped, 0) as bigint) as listings_mapped,
    cast(coalesce(g.listings_not_in_exactly_one, 0) as bigint) as listings_not_in_exactly_one,
    cast(coalesce(g.canonical_services, 0) as bigint) as canonical_services,
    (
        l.received = l.loaded + l.quarantined
        and l.quarantined = coalesce(g.records_quarantined_in_lineage, 0)
        and l.loaded = coalesce(d.services_landed, 0)
        and coalesce(d.services_landed, 0) = coalesce(g.services_mapped, 0)
        and coalesce(s.service_at_locations, 0) = coalesce(g.listings_mapped, 0)
        and coalesce(g.listings_not_in_exactly_one, 0) = 0
    ) as reconciles
from ledger as l
left join landed as d on l.directory = d.directory
left join listings as s on l.directory = s.directory
left join lineage as g on l.directory = g.directory
