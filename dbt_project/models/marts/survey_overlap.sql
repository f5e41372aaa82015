-- Where partners survey the same residents about the same things, and the single questionnaire that
-- would replace it. Counts of people are suppressed (1–9) with secondary suppression down the
-- partnership → authority → ward hierarchy, column by column (macros/survey_suppression.sql).
-- Each count column is suppressed on its own (primary 1–9, then secondary down the hierarchy), so one
-- small count does not hide a whole row. No published column is a sum of others (question_asks =
-- residents_asked + duplicate_asks is published only when both are).
{% set counts = ['residents_asked', 'residents_asked_more_than_once', 'duplicate_asks',
                 'duplicate_answers_removed', 'residents_with_conflicting_answers'] %}
with cells as (
    select * from {{ ref('int_survey_overlap_cells') }}
),

partnership as (
    select c.*{% for col in counts %}, {{ is_small_count('c.' ~ col) }} as p_{{ col }}, {{ is_small_count('c.' ~ col) }} as h_{{ col }}{% endfor %}
    from cells as c
    where c.area_level = 'partnership'
),

lad_in as (
    select c.*{% for col in counts %}, {{ is_small_count('c.' ~ col) }} as p_{{ col }}, {{ is_small_count('c.' ~ col) }} as h0_{{ col }}, p.h_{{ col }} as parent_{{ col }}{% endfor %}
    from cells as c
    left join partnership as p on c.period = p.period and c.measure_id = p.measure_id
    where c.area_level = 'lad'
),

{%- set ns = namespace(sql='select * from lad_in') %}
{%- for col in counts %}
    {%- set ns.sql = secondary_suppression('(' ~ ns.sql ~ ')', ['parent_area_code', 'period', 'measure_id'], col,
                                           'h0_' ~ col, 'parent_' ~ col, 'area_code', 'h_' ~ col) %}
{%- endfor %}
lad as (
    {{ ns.sql }}
),

ward_in as (
    select c.*{% for col in counts %}, {{ is_small_count('c.' ~ col) }} as p_{{ col }}, {{ is_small_count('c.' ~ col) }} as h0_{{ col }}, p.h_{{ col }} as parent_{{ col }}{% endfor %}
    from cells as c
    left join lad as p
        on c.parent_area_code = p.area_code and c.period = p.period and c.measure_id = p.measure_id
    where c.area_level = 'ward'
),

{%- set ns = namespace(sql='select * from ward_in') %}
{%- for col in counts %}
    {%- set ns.sql = secondary_suppression('(' ~ ns.sql ~ ')', ['parent_area_code', 'period', 'measure_id'], col,
                                           'h0_' ~ col, 'parent_' ~ col, 'area_code', 'h_' ~ col) %}
{%- endfor %}
ward as (
    {{ ns.sql }}
),

{%- set flags = [] %}
{%- for col in counts %}{% do flags.append('p_' ~ col) %}{% do flags.append('h_' ~ col) %}{% endfor %}
{%- set cols = 'area_level, area_code, parent_area_code, period, measure_id, agencies_asking, n_agencies_asking, '
               ~ counts | join(', ') ~ ', question_asks, residents_surveyed, questions_per_resident, '
               ~ 'canonical_asks_per_resident, proposed_position, proposed_questions, agencies_needing, '
               ~ 'n_agencies_needing, ' ~ flags | join(', ') %}
flagged as (
    select {{ cols }} from partnership
    union all
    select {{ cols }} from lad
    union all
    select {{ cols }} from ward
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
    {%- for c in counts %}
    cast(case when f.h_{{ c }} then null else f.{{ c }} end as bigint) as {{ c }},
    {%- endfor %}
    cast(case when f.h_residents_asked or f.h_duplicate_asks then null else f.question_asks end as bigint)
        as question_asks,
    cast(case when f.h_residents_asked or f.h_residents_asked_more_than_once then null
              else round(100.0 * f.residents_asked_more_than_once / f.residents_asked, 1) end as double)
        as pct_residents_asked_more_than_once,
    cast(case when f.h_residents_asked or f.h_duplicate_asks then null
              else round(cast(f.question_asks as double) / f.residents_asked, 3) end as double) as asks_per_resident,
    cast(case when f.residents_surveyed >= 10 then round(f.questions_per_resident, 2) end as double)
        as questions_per_resident,
    cast(case when f.residents_surveyed >= 10 then round(f.canonical_asks_per_resident, 2) end as double)
        as canonical_asks_per_resident,
    cast(f.proposed_position as bigint) as proposed_position,
    cast(f.proposed_questions as bigint) as proposed_questions,
    f.agencies_needing,
    cast(f.n_agencies_needing as bigint) as n_agencies_needing,
    ({% for c in counts %}f.h_{{ c }}{% if not loop.last %} or {% endif %}{% endfor %}) as is_suppressed,
    cast(nullif(concat_ws(',' {%- for c in counts %}, case when f.h_{{ c }} then '{{ c }}' end{% endfor %}), '')
        as varchar) as suppressed_columns
from flagged as f
inner join {{ ref('question_bank_measures') }} as m on f.measure_id = m.measure_id
left join names as n on f.area_level = n.area_level and f.area_code = n.area_code
