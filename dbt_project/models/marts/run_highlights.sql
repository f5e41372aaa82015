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
)

select domain, metric, label, value from feeds
