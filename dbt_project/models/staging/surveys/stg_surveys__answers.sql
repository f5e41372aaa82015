-- One row per answered question per response, as the agency's response code.
select
    survey_id || ':' || response_id as response_key,
    survey_id,
    response_id,
    question_id,
    answer_code
from {{ source('raw', 'survey_answers') }}
