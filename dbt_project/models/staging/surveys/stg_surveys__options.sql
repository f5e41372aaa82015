-- Response options of each question.
select
    survey_id,
    question_id,
    option_code,
    option_label,
    {{ to_int('position') }} as option_position
from {{ source('raw', 'survey_options') }}
