-- Each directory's own category terms per service.
select
    _source || ':' || service_id as service_key,
    _source as directory,
    service_id,
    term_id,
    trim(term) as term,
    vocabulary
from {{ source('raw', 'directory_service_taxonomy') }}
