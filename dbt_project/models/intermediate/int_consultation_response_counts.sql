-- Exact response counts for consultation reports (private; consultation_summary suppresses):
-- every agency question as asked (all landed answers), and every canonical measure over all surveys
-- with each resident counted once (the kept answer).
with question_status as (
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
        c.answers as response_count
    from {{ ref('int_survey_question_codes') }} as c
    inner join question_status as s on c.survey_id = s.survey_id and c.question_id = s.question_id
    where c.agency_code is not null
      and c.harmonisation_status <> 'mapping_without_question'
      and (c.in_questionnaire or c.answers > 0)
),

asked as (
    select distinct period, measure_id
    from {{ ref('int_survey_measures_deduplicated') }}
),

kept as (
    select period, measure_id, canonical_code, count(*) as residents
    from {{ ref('int_survey_measures_deduplicated') }}
    where canonical_code is not null
    group by period, measure_id, canonical_code
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
        coalesce(k.residents, 0) as response_count
    from asked as a
    inner join {{ ref('question_bank_measures') }} as m on a.measure_id = m.measure_id
    inner join {{ ref('question_bank_responses') }} as b on m.measure_id = b.measure_id
    left join kept as k
        on a.period = k.period and a.measure_id = k.measure_id and b.response_code = k.canonical_code
)

select * from survey_rows
union all
select * from canonical_rows
