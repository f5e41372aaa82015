-- Per source: what its latest load received, loaded and quarantined, and whether that adds up.
select
    source,
    family,
    cast(received as bigint) as received,
    cast(loaded as bigint) as loaded,
    cast(quarantined as bigint) as quarantined,
    (received = loaded + quarantined) as reconciles
from {{ ref('stg_meta__load_ledger') }}
