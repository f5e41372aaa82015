-- One row per response per canonical measure its survey asks (answered or left blank), with the
-- resident, the response's timing and completeness, and the canonical answer if there is one.
with responses as (
    select
        r.response_key,
        l.resident_key,
        r.survey_id,
        qn.agency,
        qn.period,
        r.submitted_at
    from {{ ref('stg_surveys__respondents') }} as r
    inner join {{ ref('int_survey_responses_linked') }} as l on r.response_key = l.response_key
    inner join {{ ref('stg_surveys__questionnaires') }} as qn on r.survey_id = qn.survey_id
),

completeness as (
    select response_key, count(*) as answered_questions
    from {{ ref('stg_surveys__answers') }}
    group by response_key
),

survey_measures as (
    -- the measures each questionnaire asks (a question in the questionnaire mapped to a measure)
    select distinct qm.survey_id, qm.measure_id
    from {{ ref('stg_surveys__question_mappings') }} as qm
    inner join {{ ref('stg_surveys__questions') }} as q
        on qm.survey_id = q.survey_id and qm.question_id = q.question_id
    where qm.mapping_status = 'mapped'
),

answers as (
    -- a canonical answer per response and measure (should a survey ask one measure twice, its first question)
    select
        response_key,
        measure_id,
        question_id,
        canonical_code,
        valence,
        score,
        row_number() over (partition by response_key, measure_id order by question_position, question_id) as n
    from {{ ref('int_survey_answers_harmonised') }}
    where harmonisation_status = 'mapped'
)

select
    r.resident_key,
    r.period,
    sm.measure_id,
    r.response_key,
    r.survey_id,
    r.agency,
    r.submitted_at,
    coalesce(c.answered_questions, 0) as answered_questions,
    a.question_id,
    a.canonical_code,
    a.valence,
    a.score
from responses as r
inner join survey_measures as sm on r.survey_id = sm.survey_id
left join completeness as c on r.response_key = c.response_key
left join answers as a on r.response_key = a.response_key and sm.measure_id = a.measure_id and a.n = 1
