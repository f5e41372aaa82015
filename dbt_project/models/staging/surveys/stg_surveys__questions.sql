-- Every question of every questionnaire (identifier and metadata columns excluded).
select
    survey_id,
    column_id as question_id,
    {{ to_int('position') }} as question_position,
    column_text as question_text,
    question_type,
    {{ to_int('scale_min') }} as scale_min,
    {{ to_int('scale_max') }} as scale_max
from {{ source('raw', 'survey_questions') }}
where role = 'question'
