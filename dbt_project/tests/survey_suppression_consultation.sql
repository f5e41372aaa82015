-- threshold_secondary questions: no suppressed consultation_summary count can be derived from the
-- question's n_respondents, and published % positive / % negative never reveal a hidden count.
-- whole_survey_frequency questions: published only when the base reaches the survey's minimum, and then
-- every count exactly. Each question follows the rule its survey has in config/disclosure_policy.yml.
with all_cells as (
    select c.scope, c.survey_id, c.period, c.question_id, c.response_code, c.valence, c.response_count as n,
        s.is_suppressed, s.n_respondents is null as parent_hidden, s.pct_positive, s.pct_negative,
        s.response_count as published, s.disclosure_rule,
        {{ frequency_min_base('c.scope', 'c.survey_id') }} as min_base,
        sum(c.response_count) over (partition by c.scope, c.survey_id, c.period, c.question_id) as base
    from {{ ref('int_consultation_response_counts') }} as c
    inner join {{ ref('consultation_summary') }} as s
        on c.scope = s.scope and c.survey_id = s.survey_id and c.period = s.period
       and c.question_id = s.question_id and c.response_code = s.response_code
),

cells as (
    select * from all_cells where min_base is null
),

frequency_violations as (
    select scope, survey_id, period, question_id
    from all_cells
    where min_base is not null
    group by scope, survey_id, period, question_id
    having bool_or(disclosure_rule <> 'whole_survey_frequency')
        or (min(base) >= min(min_base) and bool_or(is_suppressed or published is distinct from n))
        or (min(base) < min(min_base) and bool_or(not is_suppressed or not parent_hidden))
),

violations as (
    {{ suppression_violations('cells', ['scope', 'survey_id', 'period', 'question_id'], 'n', 'is_suppressed',
                              'parent_hidden') }}
),

leaky_summaries as (
    select scope, survey_id, period, question_id
    from cells
    group by scope, survey_id, period, question_id
    having (bool_or(pct_positive is not null)
            and sum(case when is_suppressed and n > 0 and valence = 'positive' then 1 else 0 end) not in
                (0, sum(case when is_suppressed and n > 0 then 1 else 0 end)))
        or (bool_or(pct_negative is not null)
            and sum(case when is_suppressed and n > 0 and valence = 'negative' then 1 else 0 end) not in
                (0, sum(case when is_suppressed and n > 0 then 1 else 0 end)))
)

select scope, survey_id, period, question_id, 'sibling total' as problem from violations
union all
select scope, survey_id, period, question_id, 'summary percentage' from leaky_summaries
union all
select scope, survey_id, period, question_id, 'frequency rule' from frequency_violations
