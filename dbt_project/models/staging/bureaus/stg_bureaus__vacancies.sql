-- Latest RPDE state of every vacancy (deleted ones kept as tombstones; filter on is_deleted).
select
    _source || ':' || vacancy_id as vacancy_key,
    _source as bureau_feed,
    vacancy_id,
    state,
    (state = 'deleted') as is_deleted,
    {{ to_int('modified') }} as modified,
    title,
    organisation_id,
    organisation_name,
    description,
    {{ to_double('hours_per_week') }} as hours_per_week,
    upper(trim(postcode)) as postcode,
    {{ compact_postcode('postcode') }} as postcode_key,
    {{ to_date('start_date') }} as start_date,
    {{ to_date('closing_date') }} as closing_date,
    url
from {{ source('raw', 'bureau_vacancies') }}
