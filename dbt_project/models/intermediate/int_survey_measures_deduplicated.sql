-- One answer per resident × period × canonical measure, and what the duplicate asking looked like.
-- Rule: among the resident's answered asks of the measure in the period, keep the most recent response
-- (submitted_at; unknown times last), then the most complete (more questions answered), then the
-- smallest response_key. "Don't know" is an answer like any other for this rule.
with ranked as (
    select
        *,
        row_number() over (
            partition by resident_key, period, measure_id
            order by
                case when canonical_code is null then 1 else 0 end,
                submitted_at desc nulls last,
                answered_questions desc,
                response_key
        ) as answer_rank
    from {{ ref('int_survey_measure_asks') }}
)

select
    resident_key,
    period,
    measure_id,
    cast(count(*) as bigint) as asks,
    cast(count(canonical_code) as bigint) as answers,
    cast(count(distinct agency) as bigint) as agencies_asking,
    string_agg(distinct agency, ',' order by agency) as agencies,
    cast(count(distinct canonical_code) as bigint) as distinct_answers,
    max(case when answer_rank = 1 and canonical_code is not null then response_key end) as kept_response_key,
    max(case when answer_rank = 1 and canonical_code is not null then agency end) as kept_agency,
    max(case when answer_rank = 1 then canonical_code end) as canonical_code,
    max(case when answer_rank = 1 then valence end) as valence,
    max(case when answer_rank = 1 then score end) as score
from ranked
group by resident_key, period, measure_id
