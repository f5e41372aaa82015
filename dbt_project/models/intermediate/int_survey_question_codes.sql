-- Every response code of every agency question — questionnaire options, each integer of a scale, any
-- code seen in answers, any code a mapping file names — with how it is harmonised and how often it
-- was answered. Questions with no codes (free text) get one row with a NULL code.
with questions as (
    select
        q.survey_id,
        q.question_id,
        q.question_position,
        q.question_text,
        q.question_type,
        q.scale_min,
        q.scale_max,
        qn.agency,
        qn.period
    from {{ ref('stg_surveys__questions') }} as q
    inner join {{ ref('stg_surveys__questionnaires') }} as qn on q.survey_id = qn.survey_id
),

scale_values as (
    select survey_id, question_id, unnest(generate_series(scale_min, scale_max)) as value
    from questions
    where question_type = 'scale' and scale_min is not null and scale_max is not null
),

listed as (
    select survey_id, question_id, option_code as agency_code, option_label as agency_label,
        1000 + option_position as code_order, true as in_questionnaire
    from {{ ref('stg_surveys__options') }}
    union all
    select survey_id, question_id, cast(value as varchar), cast(value as varchar), cast(value as bigint), true
    from scale_values
    union all
    select survey_id, question_id, answer_code, answer_code, 100000, false
    from {{ ref('stg_surveys__answers') }}
    union all
    select survey_id, question_id, agency_code, agency_code, 200000, false
    from {{ ref('stg_surveys__response_mappings') }}
),

codes as (
    select
        survey_id,
        question_id,
        agency_code,
        -- the questionnaire's label when it has one
        coalesce(max(case when in_questionnaire then agency_label end), max(agency_label)) as agency_label,
        min(code_order) as code_order,
        bool_or(in_questionnaire) as in_questionnaire
    from listed
    group by survey_id, question_id, agency_code
),

answer_counts as (
    select survey_id, question_id, answer_code, count(*) as answers
    from {{ ref('stg_surveys__answers') }}
    group by survey_id, question_id, answer_code
),

grid as (
    select
        q.survey_id,
        q.agency,
        q.period,
        q.question_id,
        q.question_position,
        q.question_text,
        q.question_type,
        c.agency_code,
        c.agency_label,
        coalesce(c.code_order, 0) as code_order,
        coalesce(c.in_questionnaire, false) as in_questionnaire,
        true as question_in_questionnaire
    from questions as q
    left join codes as c on q.survey_id = c.survey_id and q.question_id = c.question_id
    union all
    -- questions a mapping file names that the questionnaire does not (reported, harmless)
    select qm.survey_id, qn.agency, qn.period, qm.question_id, null, null, null, null, null, 0, false, false
    from {{ ref('stg_surveys__question_mappings') }} as qm
    left join {{ ref('stg_surveys__questionnaires') }} as qn on qm.survey_id = qn.survey_id
    where not exists (
        select 1 from questions as q where q.survey_id = qm.survey_id and q.question_id = qm.question_id
    )
)

select
    g.survey_id,
    g.agency,
    g.period,
    g.question_id,
    g.question_position,
    g.question_text,
    g.question_type,
    g.agency_code,
    g.agency_label,
    g.code_order,
    g.in_questionnaire,
    case
        when not g.question_in_questionnaire then 'mapping_without_question'
        when qm.question_id is null then 'unmapped_question'
        when qm.mapping_status = 'agency_only' then 'agency_only'
        when g.agency_code is null then 'mapped'
        when rm.response_status = 'mapped' and not g.in_questionnaire then 'mapping_without_option'
        when rm.response_status = 'mapped' then 'mapped'
        when rm.response_status = 'excluded' then 'excluded'
        else 'unmapped_response'
    end as harmonisation_status,
    case when qm.mapping_status = 'mapped' then qm.measure_id end as measure_id,
    case when rm.response_status = 'mapped' then rm.canonical_code end as canonical_code,
    case when rm.response_status = 'mapped' then b.response_label end as canonical_label,
    case
        when rm.response_status = 'mapped' then b.valence
        when qm.mapping_status = 'agency_only' and rm.response_status = 'agency_valence' then rm.valence
    end as valence,
    coalesce(case when rm.response_status = 'excluded' then rm.reason end, qm.reason) as reason,
    cast(coalesce(a.answers, 0) as bigint) as answers
from grid as g
left join {{ ref('stg_surveys__question_mappings') }} as qm
    on g.survey_id = qm.survey_id and g.question_id = qm.question_id
left join {{ ref('stg_surveys__response_mappings') }} as rm
    on g.survey_id = rm.survey_id and g.question_id = rm.question_id and g.agency_code = rm.agency_code
left join {{ ref('question_bank_responses') }} as b
    on qm.measure_id = b.measure_id and rm.canonical_code = b.response_code
left join answer_counts as a
    on g.survey_id = a.survey_id and g.question_id = a.question_id and g.agency_code = a.answer_code
