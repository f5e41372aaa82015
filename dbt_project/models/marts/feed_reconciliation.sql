-- Per source: records received, loaded and quarantined behind what the warehouse holds, and whether
-- that adds up. Snapshot feeds: the latest load; incremental feeds: every load so far.
select
    source,
    family,
    load_mode,
    cast(received as bigint) as received,
    cast(loaded as bigint) as loaded,
    cast(quarantined as bigint) as quarantined,
    (received = loaded + quarantined) as reconciles
from {{ ref('stg_meta__load_ledger') }}
