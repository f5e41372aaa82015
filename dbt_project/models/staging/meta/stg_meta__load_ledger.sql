-- Each source's most recent successful load (what the raw tables now hold).
with ranked as (
    select
        *,
        row_number() over (partition by source order by finished_at desc) as recency
    from {{ source('meta', 'load_ledger') }}
    where status = 'loaded'
)
select
    source,
    family,
    load_id,
    received,
    loaded,
    quarantined,
    finished_at
from ranked
where recency = 1
