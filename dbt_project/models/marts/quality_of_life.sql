-- One quality-of-life view per area × period × measure, each resident counted once, with
-- small-number suppression (primary: 1–9 respondents, or a cell of fewer than attribute_disclosure_max_n
-- in which everyone answered positively or everyone negatively; secondary within ward and authority
-- totals; macros/disclosure.sql, rule threshold_secondary in config/disclosure_policy.yml).
with cells as (
    select * from {{ ref('int_quality_of_life_cells') }}
),

lad_names as (
    select distinct area_code as lad_code, area_name as lad_name
    from cells
    where area_level = 'lad'
),

lad as (
    select c.*, {{ survey_cell_primary('c') }} as is_primary, {{ survey_cell_primary('c') }} as is_hidden
    from cells as c
    where c.area_level = 'lad'
),

ward_in as (
    select c.*, {{ survey_cell_primary('c') }} as is_primary, {{ survey_cell_primary('c') }} as hidden_0,
        p.is_hidden as parent_hidden
    from cells as c
    left join lad as p
        on c.parent_area_code = p.area_code and c.period = p.period and c.measure_id = p.measure_id
    where c.area_level = 'ward'
),

ward as (
    {{ secondary_suppression('ward_in', ['parent_area_code', 'period', 'measure_id'], 'unweighted_n',
                             'hidden_0', 'parent_hidden', 'area_code', 'is_hidden') }}
),

lsoa_in as (
    select c.*, {{ survey_cell_primary('c') }} as is_primary, {{ survey_cell_primary('c') }} as hidden_0,
        p.is_hidden as parent_hidden
    from cells as c
    left join ward as p
        on c.parent_area_code = p.area_code and c.period = p.period and c.measure_id = p.measure_id
    where c.area_level = 'lsoa'
),

lsoa as (
    {{ secondary_suppression('lsoa_in', ['parent_area_code', 'period', 'measure_id'], 'unweighted_n',
                             'hidden_0', 'parent_hidden', 'area_code', 'is_hidden') }}
),

flagged as (
    {%- set cols = 'area_level, area_code, area_name, parent_area_code, lad_code, period, measure_id, unweighted_n,
        effective_n, pct_positive, pct_positive_ci_lower, pct_positive_ci_upper, pct_negative, mean_score,
        mean_score_ci_lower, mean_score_ci_upper, contributing_agencies, is_primary, is_hidden' %}
    select {{ cols }} from lad
    union all
    select {{ cols }} from ward
    union all
    select {{ cols }} from lsoa
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
    cast(case when f.is_hidden then null else f.unweighted_n end as bigint) as unweighted_n,
    cast(case when f.is_hidden then null else round(f.effective_n, 1) end as double) as effective_n,
    cast(case when f.is_hidden then null else round(f.pct_positive, 1) end as double) as pct_positive,
    cast(case when f.is_hidden then null else round(f.pct_positive_ci_lower, 1) end as double) as pct_positive_ci_lower,
    cast(case when f.is_hidden then null else round(f.pct_positive_ci_upper, 1) end as double) as pct_positive_ci_upper,
    cast(case when f.is_hidden then null else round(f.pct_negative, 1) end as double) as pct_negative,
    cast(case when f.is_hidden then null else round(f.mean_score, 2) end as double) as mean_score,
    cast(case when f.is_hidden then null else round(f.mean_score_ci_lower, 2) end as double) as mean_score_ci_lower,
    cast(case when f.is_hidden then null else round(f.mean_score_ci_upper, 2) end as double) as mean_score_ci_upper,
    cast(case when f.is_hidden then null else f.contributing_agencies end as bigint) as contributing_agencies,
    f.is_hidden as is_suppressed,
    cast(case when f.is_primary then 'primary' when f.is_hidden then 'secondary' else 'none' end as varchar)
        as suppression
from flagged as f
inner join {{ ref('question_bank_measures') }} as m on f.measure_id = m.measure_id
left join lad_names as ln on f.lad_code = ln.lad_code
