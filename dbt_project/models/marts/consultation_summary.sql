-- Response counts and percentages for consultation reports, exact to a hand count. Disclosure rule per
-- survey (config/disclosure_policy.yml): whole_survey_frequency publishes every count of a question whose
-- base reaches the survey's minimum (else hides the question); threshold_secondary hides counts 1-9 with
-- secondary suppression. Denominator: every non-blank response to the question, "don't know" included.
with counts as (
    select
        *,
        sum(response_count) over (partition by scope, survey_id, period, question_id) as n_respondents,
        {{ frequency_min_base('scope', 'survey_id') }} as frequency_min_base
    from {{ ref('int_consultation_response_counts') }}
),

primary_flags as (
    select
        *,
        case when frequency_min_base is not null then n_respondents < frequency_min_base
            else {{ is_small_count('response_count') }} end as hidden_0,
        case when frequency_min_base is not null then n_respondents < frequency_min_base
            else {{ is_small_count('n_respondents') }} end as question_hidden
    from counts
),

flagged as (
    {{ secondary_suppression('primary_flags', ['scope', 'survey_id', 'period', 'question_id'], 'response_count',
                             'hidden_0', 'question_hidden', 'response_code', 'is_hidden') }}
),

question_totals as (
    select
        scope,
        survey_id,
        period,
        question_id,
        coalesce(bool_or(valence in ('positive', 'negative')), false) as has_valence,
        sum(case when valence = 'positive' then response_count else 0 end) as positive,
        sum(case when valence = 'negative' then response_count else 0 end) as negative,
        sum(case when is_hidden and response_count > 0 then 1 else 0 end) as hidden_cells,
        sum(case when is_hidden and response_count > 0 and valence = 'positive' then 1 else 0 end) as hidden_positive,
        sum(case when is_hidden and response_count > 0 and valence = 'negative' then 1 else 0 end) as hidden_negative
    from flagged
    group by scope, survey_id, period, question_id
),

summarised as (
    select
        f.*,
        t.has_valence,
        -- a % positive (negative) would reveal the hidden positive (negative) cells unless it holds
        -- none of them or all of the hidden cells
        case
            when not t.has_valence or f.question_hidden then null
            when t.hidden_positive = 0 or t.hidden_positive = t.hidden_cells then {{ pct_1dp('t.positive', 'f.n_respondents') }}
        end as pct_positive,
        case
            when not t.has_valence or f.question_hidden then null
            when t.hidden_negative = 0 or t.hidden_negative = t.hidden_cells then {{ pct_1dp('t.negative', 'f.n_respondents') }}
        end as pct_negative,
        case
            when not t.has_valence or f.question_hidden then null
            when (t.hidden_positive = 0 or t.hidden_positive = t.hidden_cells)
             and (t.hidden_negative = 0 or t.hidden_negative = t.hidden_cells)
                then {{ pct_1dp('t.positive - t.negative', 'f.n_respondents') }}
        end as net_agreement
    from flagged as f
    inner join question_totals as t
        on f.scope = t.scope and f.survey_id = t.survey_id and f.period = t.period and f.question_id = t.question_id
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
    cast(case when is_hidden then null else response_count end as bigint) as response_count,
    cast(case when is_hidden or question_hidden then null else {{ pct_1dp('response_count', 'n_respondents') }} end
        as double) as response_pct,
    cast(case when question_hidden then null else n_respondents end as bigint) as n_respondents,
    cast(pct_positive as double) as pct_positive,
    cast(pct_negative as double) as pct_negative,
    cast(net_agreement as double) as net_agreement,
    is_hidden as is_suppressed,
    cast(case when frequency_min_base is not null then 'whole_survey_frequency' else 'threshold_secondary' end
        as varchar) as disclosure_rule,
    (has_valence and not question_hidden and net_agreement is null) as summary_withheld
from summarised
