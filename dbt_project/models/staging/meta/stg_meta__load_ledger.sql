-- What the raw tables now hold, per source: the latest successful load of a snapshot feed, or the sum
-- of every successful load of an incremental (RPDE) feed, whose items accumulate across loads.
with loaded as (
    select
        *,
        row_number() over (partition by source order by finished_at desc) as recency
    from {{ source('meta', 'load_ledger') }}
    where status = 'loaded'
),

snapshots as (
    select source, family, received, loaded, quarantined, 'snapshot' as load_mode
    from loaded
    where recency = 1 and coalesce(load_mode, 'snapshot') = 'snapshot'
),

incremental as (
    select
        source,
        max(family) as family,
        sum(received) as received,
        sum(loaded) as loaded,
        sum(quarantined) as quarantined,
        'incremental' as load_mode
    from loaded
    where source in (select source from loaded where recency = 1 and load_mode = 'incremental')
    group by source
)

select * from snapshots
union all
select * from incremental
