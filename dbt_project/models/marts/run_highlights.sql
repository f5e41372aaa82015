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
        's1_records_received' as metric,
        'Service directory records received (all partner directories)' as label,
        cast(sum(records_received) as double) as value
    from {{ ref('service_map_reconciliation') }}
    union all
    select 'services', 's2_listings_loaded', 'Service-at-location listings loaded (source records linked)',
        cast(count(*) as double)
    from {{ ref('service_map_sources') }}
    where outcome = 'mapped'
    union all
    select 'services', 's3_canonical_services', 'Canonical services on the service map', cast(count(*) as double)
    from {{ ref('service_map') }}
    union all
    select 'services', 's4_duplicates_merged', 'Duplicate listings merged into canonical services',
        cast(sum(source_records - 1) as double)
    from {{ ref('service_map') }}
    union all
    -- averaged as decimals: a parallel sum of doubles can differ in its last bit from run to run
    -- (metric names s1…s6 keep the figures in reading order in the run summary)
    select 'services', 's5_mean_match_probability_pct', 'Mean match probability of merged listings (%)',
        cast(round(100 * avg(cast(match_probability as decimal(18, 15))), 4) as double)
    from {{ ref('service_map_sources') }}
    where outcome = 'mapped' and cluster_size > 1
    union all
    select 'services', 's6_coverage_gaps', 'Service gaps flagged (high-need ward x category)',
        cast(sum(case when gap_flag then 1 else 0 end) as double)
    from {{ ref('service_coverage') }}
)

select domain, metric, label, value from feeds
union all
select domain, metric, label, value from services
