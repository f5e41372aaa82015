-- One quality-of-life view per area × period × measure, each resident counted once. Disclosure (rule
-- cell_key_perturbation in config/disclosure_policy.yml, macros/disclosure.sql): the unweighted base is
-- published cell-key perturbed and rounded (survey_count); each weighted % moves by the perturbation of its
-- own unweighted count (positive or negative respondents) as a share of the base, the mean score by the
-- base's, so one added response re-draws every estimate of its period. Estimates are withheld when the
-- published base is under survey_estimate_min_base, or when a published base under
-- attribute_disclosure_max_n shows everyone positive or everyone negative (a one-way cell).
-- contributing_agencies counts the agencies whose own published count of kept answers in the cell
-- (survey_count over int_survey_agency_cells) reaches survey_estimate_min_base: decided on re-drawn
-- published values, so one added response cannot be read off a change in it.
with agencies as (
    select area_level, area_code, period, measure_id,
        count(*) filter (where published >= {{ var('survey_estimate_min_base') }}) as contributing_agencies
    from (
        select a.*, {{ survey_count('a.residents', 'a.cell_key') }} as published
        from {{ ref('int_survey_agency_cells') }} as a
        where a.mart = 'quality_of_life'
    ) as a
    group by area_level, area_code, period, measure_id
),

cells as (
    select
        c.* exclude (contributing_agencies),
        coalesce(ag.contributing_agencies, 0) as contributing_agencies,
        {{ survey_count('c.unweighted_n', 'c.cell_key') }} as pub_n,
        {{ survey_count('c.positive_n', 'c.positive_cell_key') }} - c.positive_n as d_positive,
        {{ survey_count('c.negative_n', 'c.negative_cell_key') }} - c.negative_n as d_negative
    from {{ ref('int_quality_of_life_cells') }} as c
    left join agencies as ag
        on c.area_level = ag.area_level and c.area_code = ag.area_code and c.period = ag.period
       and c.measure_id = ag.measure_id
),

shifted as (
    select
        c.*,
        case when c.unweighted_n > 0 then 100.0 * c.d_positive / c.unweighted_n end as shift_positive,
        case when c.unweighted_n > 0 then 100.0 * c.d_negative / c.unweighted_n end as shift_negative,
        case when c.unweighted_n > 0 then 10.0 * (c.pub_n - c.unweighted_n) / c.unweighted_n end as shift_score
    from cells as c
),

published as (
    select
        s.*,
        {{ clamp('s.pct_positive + s.shift_positive', 0, 100) }} as pub_pct_positive,
        -- the interval bounds held on their side of the estimate: a Wilson bound at p = 1 is 100 - 1e-14 in
        -- floating point, which after the shift could round to 0.1 below the estimate
        {{ clamp('case when s.pct_positive_ci_lower is not null then least(s.pct_positive_ci_lower, s.pct_positive) end + s.shift_positive', 0, 100) }}
            as pub_pct_positive_ci_lower,
        {{ clamp('case when s.pct_positive_ci_upper is not null then greatest(s.pct_positive_ci_upper, s.pct_positive) end + s.shift_positive', 0, 100) }}
            as pub_pct_positive_ci_upper,
        {{ clamp('s.pct_negative + s.shift_negative', 0, 100) }} as pub_pct_negative,
        {{ clamp('s.mean_score + s.shift_score', 0, 10) }} as pub_mean_score,
        {{ clamp('case when s.mean_score_ci_lower is not null then least(s.mean_score_ci_lower, s.mean_score) end + s.shift_score', 0, 10) }} as pub_mean_score_ci_lower,
        {{ clamp('case when s.mean_score_ci_upper is not null then greatest(s.mean_score_ci_upper, s.mean_score) end + s.shift_score', 0, 10) }} as pub_mean_score_ci_upper,
        s.effective_n * s.pub_n / nullif(s.unweighted_n, 0) as pub_effective_n
    from shifted as s
),

flagged as (
    select
        p.*,
        case
            when p.pub_n < {{ var('survey_estimate_min_base') }} then 'small_base'
            when p.pub_n < {{ var('attribute_disclosure_max_n') }}
             and (round(p.pub_pct_positive, 1) >= 100 or round(p.pub_pct_negative, 1) >= 100) then 'one_way'
            else 'none'
        end as suppression
    from published as p
),

lad_names as (
    select distinct area_code as lad_code, area_name as lad_name
    from cells
    where area_level = 'lad'
)

select
    f.area_level,
    f.area_code,
    f.area_name,
    f.parent_area_code,
    f.lad_code,
    ln.lad_name,
    f.period,
    f.measure_id,
    m.short_label as measure_label,
    m.theme,
    m.scale_type,
    m.positive_means,
    cast(f.pub_n as bigint) as unweighted_n,
    {%- for col, dp in [('effective_n', 1), ('pct_positive', 1), ('pct_positive_ci_lower', 1),
                        ('pct_positive_ci_upper', 1), ('pct_negative', 1), ('mean_score', 2),
                        ('mean_score_ci_lower', 2), ('mean_score_ci_upper', 2)] %}
    cast(case when f.suppression = 'none' then round(f.pub_{{ col }}, {{ dp }}) end as double) as {{ col }},
    {%- endfor %}
    cast(case when f.suppression = 'none' then f.contributing_agencies end as bigint) as contributing_agencies,
    f.suppression <> 'none' as is_suppressed,
    cast(f.suppression as varchar) as suppression
from flagged as f
inner join {{ ref('question_bank_measures') }} as m on f.measure_id = m.measure_id
left join lad_names as ln on f.lad_code = ln.lad_code
