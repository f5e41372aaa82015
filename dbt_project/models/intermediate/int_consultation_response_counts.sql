-- Exact response counts for consultation reports (private; consultation_summary suppresses):
-- every agency question as asked (all landed answers), and every canonical measure over all surveys
-- with each resident counted once (the kept answer). Each count carries its survey cell key (the record keys
-- of the residents who gave that answer plus the period's wave key; macros/disclosure.sql).
with answer_keys as (
    select a.survey_id, a.question_id, a.answer_code, sum(coalesce(k.record_key, 0)) as key_sum
    from {{ ref('stg_surveys__answers') }} as a
    left join {{ ref('int_survey_responses_linked') }} as l on a.response_key = l.response_key
    left join {{ ref('int_survey_resident_record_keys') }} as k on l.resident_key = k.resident_key
    group by a.survey_id, a.question_id, a.answer_code
),

question_status as (
    select
        survey_id,
        question_id,
        case
            when bool_or(harmonisation_status = 'agency_only') then 'agency_only'
            when bool_or(harmonisation_status = 'unmapped_question') then 'unmapped'
            else 'mapped'
        end as harmonisation
    from {{ ref('int_survey_question_codes') }}
    group by survey_id, question_id
),

survey_rows as (
    select
        'survey_question' as scope,
        c.survey_id,
        c.agency,
        c.period,
        c.question_id,
        c.question_position,
        c.question_text,
        c.measure_id,
        s.harmonisation,
        c.agency_code as response_code,
        c.agency_label as response_label,
        c.code_order as response_order,
        c.valence,
        c.answers as response_count,
        ak.key_sum
    from {{ ref('int_survey_question_codes') }} as c
    inner join question_status as s on c.survey_id = s.survey_id and c.question_id = s.question_id
    left join answer_keys as ak
        on c.survey_id = ak.survey_id and c.question_id = ak.question_id and c.agency_code = ak.answer_code
    where c.agency_code is not null
      and c.harmonisation_status <> 'mapping_without_question'
      and (c.in_questionnaire or c.answers > 0)
),

asked as (
    select distinct period, measure_id
    from {{ ref('int_survey_measures_deduplicated') }}
),

kept as (
    select d.period, d.measure_id, d.canonical_code, count(*) as residents, sum(k.record_key) as key_sum
    from {{ ref('int_survey_measures_deduplicated') }} as d
    inner join {{ ref('int_survey_resident_record_keys') }} as k on d.resident_key = k.resident_key
    where d.canonical_code is not null
    group by d.period, d.measure_id, d.canonical_code
),

canonical_rows as (
    select
        'canonical_measure' as scope,
        'all_surveys' as survey_id,
        'all agencies, each resident once' as agency,
        a.period,
        m.measure_id as question_id,
        m.measure_order as question_position,
        m.wording as question_text,
        m.measure_id,
        'canonical' as harmonisation,
        b.response_code,
        b.response_label,
        b.response_order,
        b.valence,
        coalesce(k.residents, 0) as response_count,
        k.key_sum
    from asked as a
    inner join {{ ref('question_bank_measures') }} as m on a.measure_id = m.measure_id
    inner join {{ ref('question_bank_responses') }} as b on m.measure_id = b.measure_id
    left join kept as k
        on a.period = k.period and a.measure_id = k.measure_id and b.response_code = k.canonical_code
)

select r.* exclude (key_sum), {{ survey_cell_key('r.key_sum', 'w.wave_key') }} as cell_key
from (
    select * from survey_rows
    union all
    select * from canonical_rows
) as r
left join {{ ref('int_survey_wave_keys') }} as w on r.period = w.period
