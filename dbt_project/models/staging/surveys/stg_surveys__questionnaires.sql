-- One row per agency survey.
select
    survey_id,
    agency,
    agency_name,
    title,
    period,
    {{ to_date('fieldwork_start') }} as fieldwork_start,
    {{ to_date('fieldwork_end') }} as fieldwork_end,
    header_style,
    value_style,
    csv_encoding,
    _source as source_partition,
    _load_id as load_id
from {{ source('raw', 'survey_questionnaires') }}
