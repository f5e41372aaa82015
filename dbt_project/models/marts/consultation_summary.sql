-- Response counts and percentages for consultation reports. Disclosure rule per survey
-- (config/disclosure_policy.yml): whole_survey_frequency publishes every count of a question, exact to a hand
-- count, once its base reaches the survey's minimum (else hides the question); cell_key_perturbation (resident
-- surveys, and the canonical measures over all surveys) publishes every count cell-key perturbed and rounded
-- (macros/disclosure.sql survey_count), with n_respondents and every percentage computed from the published
-- counts. Denominator: every non-blank response to the question, "don't know" included.
with counts as (
    select
        *,
        {{ frequency_min_base('scope', 'survey_id') }} as frequency_min_base
    from {{ ref('int_consultation_response_counts') }}
),

published as (
    select
        *,
        case when frequency_min_base is not null then response_count
            else {{ survey_count('response_count', 'cell_key') }} end as published_count
    from counts
),

question_totals as (
    select
        scope,
        survey_id,
        period,
        question_id,
        sum(response_count) as true_n,
        sum(published_count) as n_respondents,
        coalesce(bool_or(valence in ('positive', 'negative')), false) as has_valence,
        sum(case when valence = 'positive' then published_count else 0 end) as positive,
        sum(case when valence = 'negative' then published_count else 0 end) as negative
    from published
    group by scope, survey_id, period, question_id
),

summarised as (
    select
        p.*,
        t.n_respondents,
        t.has_valence,
        t.positive,
        t.negative,
        coalesce(p.frequency_min_base is not null and t.true_n < p.frequency_min_base, false) as question_hidden
    from published as p
    inner join question_totals as t
        on p.scope = t.scope and p.survey_id = t.survey_id and p.period = t.period and p.question_id = t.question_id
)

select
    cast(scope as varchar) as scope,
    cast(survey_id as varchar) as survey_id,
    cast(agency as varchar) as agency,
    cast(period as varchar) as period,
    cast(question_id as varchar) as question_id,
    cast(question_position as bigint) as question_position,
    cast(question_text as varchar) as question_text,
    cast(measure_id as varchar) as measure_id,
    cast(harmonisation as varchar) as harmonisation,
    cast(response_code as varchar) as response_code,
    cast(response_label as varchar) as response_label,
    cast(response_order as bigint) as response_order,
    cast(valence as varchar) as valence,
    cast(case when question_hidden then null else published_count end as bigint) as response_count,
    cast(case when question_hidden then null else {{ pct_1dp('published_count', 'n_respondents') }} end
        as double) as response_pct,
    cast(case when question_hidden then null else n_respondents end as bigint) as n_respondents,
    cast(case when has_valence and not question_hidden then {{ pct_1dp('positive', 'n_respondents') }} end
        as double) as pct_positive,
    cast(case when has_valence and not question_hidden then {{ pct_1dp('negative', 'n_respondents') }} end
        as double) as pct_negative,
    cast(case when has_valence and not question_hidden then {{ pct_1dp('positive - negative', 'n_respondents') }} end
        as double) as net_agreement,
    question_hidden as is_suppressed,
    cast(case when frequency_min_base is not null then 'whole_survey_frequency' else 'cell_key_perturbation' end
        as varchar) as disclosure_rule
from summarised
