-- What the raw tables now hold, per source: the latest successful load of a snapshot feed, or the sum
-- of every successful load of an incremental (RPDE) feed, whose items accumulate across loads. Loads are
-- ordered by ledger sequence (recording order), not by a clock; a source whose latest row is `retired`
-- (an explicit registry decision that removed its rows) holds nothing and is left out.
with latest_any as (
    select source, status
    from {{ source('meta', 'load_ledger') }}
    qualify row_number() over (partition by source order by seq desc nulls last, finished_at desc) = 1
),

successful as (
    select
        source,
        family,
        received,
        loaded,
        quarantined,
        coalesce(load_mode, 'snapshot') as mode,
        row_number() over (partition by source order by seq desc nulls last, finished_at desc) as recency
    from {{ source('meta', 'load_ledger') }}
    where status = 'loaded'
      and source not in (select source from latest_any where status = 'retired')
),

latest as (
    select source, mode as latest_mode
    from successful
    where recency = 1
)

select
    s.source,
    max(s.family) as family,
    max(l.latest_mode) as load_mode,
    sum(s.received) as received,
    sum(s.loaded) as loaded,
    sum(s.quarantined) as quarantined
from successful as s
inner join latest as l on s.source = l.source
where l.latest_mode = 'incremental' or s.recency = 1
group by s.source
