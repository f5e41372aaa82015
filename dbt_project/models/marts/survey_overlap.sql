-- Where partners survey the same residents about the same things, and the single questionnaire that
-- would replace it. Every count of people (or of their asks and answers) is cell-key perturbed and
-- rounded (macros/disclosure.sql survey_count; rule cell_key_perturbation in config/disclosure_policy.yml);
-- question_asks and the ratios are computed from the published counts: questions_per_resident and
-- canonical_asks_per_resident divide the area's published question_asks (summed over its measures), plus for
-- questions_per_resident its published asks of agency-only questions, by its published residents surveyed,
-- so one added response moves them by a re-drawn amount, not by its questionnaire's length. A part is
-- never published above its whole (residents asked more than once, or with conflicting answers, at most the residents asked).
-- agencies_asking names an agency only when its own published count of residents asked in the cell
-- (survey_count over int_survey_agency_cells) reaches survey_estimate_min_base, so one added response
-- cannot be read off the list (docs/disclosure.md).
with agencies as (
    select area_level, area_code, period, measure_id,
        string_agg(agency, ',' order by agency)
            filter (where published >= {{ var('survey_estimate_min_base') }}) as agencies_asking,
        count(*) filter (where published >= {{ var('survey_estimate_min_base') }}) as n_agencies_asking
    from (
        select a.*, {{ survey_count('a.residents', 'a.cell_key') }} as published
        from {{ ref('int_survey_agency_cells') }} as a
        where a.mart = 'survey_overlap'
    ) as a
    group by area_level, area_code, period, measure_id
),

cells as (
    select
        c.* exclude (agencies_asking, n_agencies_asking),
        ag.agencies_asking,
        coalesce(ag.n_agencies_asking, 0) as n_agencies_asking,
        {{ survey_count('c.residents_asked', 'c.key_residents_asked') }} as pub_asked,
        {{ survey_count('c.residents_asked_more_than_once', 'c.key_residents_asked_more_than_once') }} as pub_multi,
        {{ survey_count('c.duplicate_asks', 'c.key_duplicate_asks') }} as pub_duplicate_asks,
        {{ survey_count('c.duplicate_answers_removed', 'c.key_duplicate_answers_removed') }} as pub_duplicate_answers,
        {{ survey_count('c.residents_with_conflicting_answers', 'c.key_residents_with_conflicting_answers') }}
            as pub_conflicting,
        {{ survey_count('c.residents_surveyed', 'c.key_residents_surveyed') }} as pub_surveyed,
        {{ survey_count('c.other_question_asks', 'c.key_other_question_asks') }} as pub_other_asks
    from {{ ref('int_survey_overlap_cells') }} as c
    left join agencies as ag
        on c.area_level = ag.area_level and c.area_code = ag.area_code and c.period = ag.period
       and c.measure_id = ag.measure_id
),

published as (
    select
        c.*,
        least(c.pub_multi, c.pub_asked) as published_multi,
        least(c.pub_conflicting, c.pub_asked) as published_conflicting,
        c.pub_asked + c.pub_duplicate_asks as published_question_asks,
        sum(c.pub_asked + c.pub_duplicate_asks) over (partition by c.area_level, c.area_code, c.period)
            as published_canonical_asks
    from cells as c
),

names as (
    select distinct 'lad' as area_level, lad_code as area_code, lad_name as area_name from {{ ref('stg_ons__lsoas') }}
    union all
    select distinct 'ward', ward_code, ward_name from {{ ref('stg_ons__lsoas') }}
)

select
    f.area_level,
    f.area_code,
    cast(case
        when f.area_level = 'partnership' then 'All residents surveyed'
        when f.area_code = 'unplaced' then 'Residents with no known area'
        else n.area_name
    end as varchar) as area_name,
    f.parent_area_code,
    f.period,
    f.measure_id,
    m.short_label as measure_label,
    m.domain as measure_domain,
    f.agencies_asking,
    cast(f.n_agencies_asking as bigint) as n_agencies_asking,
    cast(f.pub_asked as bigint) as residents_asked,
    cast(f.published_multi as bigint) as residents_asked_more_than_once,
    cast(f.pub_duplicate_asks as bigint) as duplicate_asks,
    cast(f.pub_duplicate_answers as bigint) as duplicate_answers_removed,
    cast(f.published_conflicting as bigint) as residents_with_conflicting_answers,
    cast(f.published_question_asks as bigint) as question_asks,
    cast(case when f.pub_asked > 0 then round(100.0 * f.published_multi / f.pub_asked, 1) end as double)
        as pct_residents_asked_more_than_once,
    cast(case when f.pub_asked > 0 then round(cast(f.published_question_asks as double) / f.pub_asked, 3) end
        as double) as asks_per_resident,
    cast(case when f.pub_surveyed >= {{ var('survey_estimate_min_base') }}
        then round(cast(f.published_canonical_asks + f.pub_other_asks as double) / f.pub_surveyed, 2) end as double)
        as questions_per_resident,
    cast(case when f.pub_surveyed >= {{ var('survey_estimate_min_base') }}
        then round(cast(f.published_canonical_asks as double) / f.pub_surveyed, 2) end as double)
        as canonical_asks_per_resident,
    cast(f.proposed_position as bigint) as proposed_position,
    cast(f.proposed_questions as bigint) as proposed_questions,
    f.agencies_needing,
    cast(f.n_agencies_needing as bigint) as n_agencies_needing
from published as f
inner join {{ ref('question_bank_measures') }} as m on f.measure_id = m.measure_id
left join names as n on f.area_level = n.area_level and f.area_code = n.area_code
