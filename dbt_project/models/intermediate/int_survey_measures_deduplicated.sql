-- One answer per resident × period × canonical measure, and what the duplicate asking looked like.
-- Rule: among the resident's answered asks of the measure in the period, keep the most recent response
-- (submitted_at; unknown times last), then the most complete (more questions answered), then the
-- smallest response_key. "Don't know" is an answer like any other for this rule.
--
-- The kept ask is found in the same hash aggregation as the counts (arg_min over a rank key that spells
-- the rule out: answered first, known time first, newest, most complete, smallest key) rather than a
-- window ranking every ask first; response_key is unique, so the rank key is a total order and the
-- kept ask is the one the rule names.
with keyed as (
    select
        *,
        {
            'unanswered': case when canonical_code is null then 1 else 0 end,
            'unknown_time': case when submitted_at is null then 1 else 0 end,
            'older': coalesce(-epoch_us(submitted_at), 0),
            'less_complete': -answered_questions,
            'response_key': response_key
        } as rank_key
    from {{ ref('int_survey_measure_asks') }}
),

grouped as (
    select
        resident_key,
        period,
        measure_id,
        cast(count(*) as bigint) as asks,
        cast(count(canonical_code) as bigint) as answers,
        cast(count(distinct agency) as bigint) as agencies_asking,
        -- the distinct agencies in order, as string_agg(distinct agency, ',' order by agency) would give
        -- them, without the per-group sort of an ordered aggregate
        case when count(agency) > 0 then array_to_string(list_sort(list_distinct(list(agency))), ',') end
            as agencies,
        cast(count(distinct canonical_code) as bigint) as distinct_answers,
        arg_min(
            {'response_key': response_key, 'agency': agency, 'canonical_code': canonical_code,
             'valence': valence, 'score': score},
            rank_key
        ) as kept
    from keyed
    group by resident_key, period, measure_id
)

select
    resident_key,
    period,
    measure_id,
    asks,
    answers,
    agencies_asking,
    agencies,
    distinct_answers,
    case when kept.canonical_code is not null then kept.response_key end as kept_response_key,
    case when kept.canonical_code is not null then kept.agency end as kept_agency,
    kept.canonical_code as canonical_code,
    kept.valence as valence,
    kept.score as score
from grouped
