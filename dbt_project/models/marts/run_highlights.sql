-- Headline figures of the build, one row each (printed in the run summary). Each domain contributes
-- its rows as one more "union all" block reading its own model through ref().
with feeds as (
    select
        'feeds' as domain,
        'records_received' as metric,
        'Feed records received (what raw now holds)' as label,
        cast(sum(received) as double) as value
    from {{ ref('feed_reconciliation') }}
    union all
    select 'feeds', 'records_quarantined', 'Feed records quarantined with a reason', cast(sum(quarantined) as double)
    from {{ ref('feed_reconciliation') }}
),

services as (
    select
        'services' as domain,
        'source_records' as metric,
        'Service directory records received (all partner directories)' as label,
        cast(sum(records_received) as double) as value
    from {{ ref('service_map_reconciliation') }}
    union all
    select 'services', 'source_listings', 'Service-at-location listings loaded (source records linked)',
        cast(count(*) as double)
    from {{ ref('service_map_sources') }}
    where outcome = 'mapped'
    union all
    select 'services', 'canonical_services', 'Canonical services on the service map', cast(count(*) as double)
    from {{ ref('service_map') }}
    union all
    select 'services', 'duplicates_merged', 'Duplicate listings merged into canonical services',
        cast(sum(source_records - 1) as double)
    from {{ ref('service_map') }}
    union all
    -- averaged as decimals: a parallel sum of doubles can differ in its last bit from run to run
    select 'services', 'mean_match_probability', 'Mean match probability of merged listings',
        cast(round(avg(cast(match_probability as decimal(18, 15))), 9) as double)
    from {{ ref('service_map_sources') }}
    where outcome = 'mapped' and cluster_size > 1
    union all
    select 'services', 'coverage_gaps', 'Service gaps flagged (high-need ward x category)',
        cast(sum(case when gap_flag then 1 else 0 end) as double)
    from {{ ref('service_coverage') }}
)

select domain, metric, label, value from feeds
union all
select domain, metric, label, value from services
