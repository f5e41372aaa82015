-- Every answer with its canonical measure and canonical response, or the reason it has none.
with questions as (
    select
        q.survey_id,
        q.question_id,
        q.question_position,
        qn.agency,
        qn.period
    from {{ ref('stg_surveys__questions') }} as q
    inner join {{ ref('stg_surveys__questionnaires') }} as qn on q.survey_id = qn.survey_id
)

select
    a.response_key,
    a.survey_id,
    q.agency,
    q.period,
    a.question_id,
    q.question_position,
    a.answer_code,
    coalesce(o.option_label, a.answer_code) as answer_label,
    case
        when qm.question_id is null then 'unmapped_question'
        when qm.mapping_status = 'agency_only' then 'agency_only'
        when rm.agency_code is null or rm.response_status not in ('mapped', 'excluded') then 'unmapped_response'
        when rm.response_status = 'excluded' then 'excluded_response'
        else 'mapped'
    end as harmonisation_status,
    case when qm.mapping_status = 'mapped' then qm.measure_id end as measure_id,
    case when rm.response_status = 'mapped' then rm.canonical_code end as canonical_code,
    case when rm.response_status = 'mapped' then b.response_label end as canonical_label,
    case
        when rm.response_status = 'mapped' then b.valence
        when qm.mapping_status = 'agency_only' and rm.response_status = 'agency_valence' then rm.valence
    end as valence,
    case when rm.response_status = 'mapped' then b.score end as score
from {{ ref('stg_surveys__answers') }} as a
inner join questions as q
    on a.survey_id = q.survey_id and a.question_id = q.question_id
left join {{ ref('stg_surveys__options') }} as o
    on a.survey_id = o.survey_id and a.question_id = o.question_id and a.answer_code = o.option_code
left join {{ ref('stg_surveys__question_mappings') }} as qm
    on a.survey_id = qm.survey_id and a.question_id = qm.question_id
left join {{ ref('stg_surveys__response_mappings') }} as rm
    on a.survey_id = rm.survey_id and a.question_id = rm.question_id and a.answer_code = rm.agency_code
left join {{ ref('question_bank_responses') }} as b
    on qm.measure_id = b.measure_id and rm.canonical_code = b.response_code
