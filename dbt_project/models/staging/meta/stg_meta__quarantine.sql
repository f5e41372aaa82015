-- Records rejected at ingest, one row each, with the reason.
select
    _source as source,
    _load_id as load_id,
    family,
    entity,
    record_key,
    reason
from {{ source('raw', 'quarantine') }}
