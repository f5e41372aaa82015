-- Who is missing: respondents (each resident once) against the census population by age band, sex,
-- ethnic group and deprivation decile, per ward and local authority. Respondent counts are suppressed
-- (1–9) with secondary suppression both within an area's categories and across wards of an authority.
with cells as (
    select * from {{ ref('int_survey_representation_cells') }}
),

lad_in as (
    select c.*, {{ is_small_count('c.respondents') }} as is_primary, {{ is_small_count('c.respondents') }} as hidden_0,
        {{ is_small_count('c.respondents_known') }} as total_hidden
    from cells as c
    where c.area_level = 'lad'
),

lad as (
    {{ secondary_suppression('lad_in', ['area_code', 'period', 'dimension'], 'respondents', 'hidden_0',
                             'total_hidden', 'category_code', 'is_hidden') }}
),

ward_in as (
    select c.*, {{ is_small_count('c.respondents') }} as is_primary, {{ is_small_count('c.respondents') }} as hidden_0,
        {{ is_small_count('c.respondents_known') }} as total_hidden, p.is_hidden as parent_hidden
    from cells as c
    left join lad as p
        on c.parent_area_code = p.area_code and c.period = p.period and c.dimension = p.dimension
       and c.category_code = p.category_code
    where c.area_level = 'ward'
),

-- two additive structures: an area's categories add up to its total, and an authority's wards add up
-- to the authority; alternate passes over both (the dbt test survey_suppression_representation checks
-- that no hidden count can be derived from either)
{%- set ns = namespace(sql='select * from ward_in', hidden='hidden_0') %}
{%- for round in [1, 2] %}
    {%- set ns.sql = secondary_suppression('(' ~ ns.sql ~ ')', ['area_code', 'period', 'dimension'], 'respondents',
                                           ns.hidden, 'total_hidden', 'category_code', 'h_area_' ~ round) %}
    {%- set ns.sql = secondary_suppression('(' ~ ns.sql ~ ')', ['parent_area_code', 'period', 'dimension',
                                           'category_code'], 'respondents', 'h_area_' ~ round, 'parent_hidden',
                                           'area_code', 'h_hier_' ~ round) %}
    {%- set ns.hidden = 'h_hier_' ~ round %}
{%- endfor %}
ward as (
    select w.*, w.{{ ns.hidden }} as is_hidden from ({{ ns.sql }}) as w
),

{%- set cols = 'area_level, area_code, parent_area_code, period, dimension, category_code, category_label, '
               ~ 'respondents, population, respondents_known, population_total, is_primary, is_hidden, total_hidden' %}
flagged as (
    select {{ cols }} from lad
    union all
    select {{ cols }} from ward
),

shares as (
    select
        f.*,
        100.0 * f.respondents / nullif(f.respondents_known, 0) as respondent_share,
        100.0 * f.population / nullif(f.population_total, 0) as population_share
    from flagged as f
),

rated as (
    select
        s.*,
        case when not s.is_hidden and not s.total_hidden then s.respondent_share / nullif(s.population_share, 0) end
            as ratio
    from shares as s
),

ranked as (
    select
        r.*,
        case when r.ratio is not null and r.population_share >= 2 then
            row_number() over (
                partition by r.area_level, r.area_code, r.period,
                    (r.ratio is not null and r.population_share >= 2)
                order by r.ratio, r.dimension, r.category_code)
        end as under_representation_rank
    from rated as r
),

names as (
    select distinct 'lad' as area_level, lad_code as area_code, lad_name as area_name from {{ ref('stg_ons__lsoas') }}
    union all
    select distinct 'ward', ward_code, ward_name from {{ ref('stg_ons__lsoas') }}
)

select
    r.area_level,
    r.area_code,
    n.area_name,
    r.parent_area_code,
    r.period,
    r.dimension,
    r.category_code,
    r.category_label,
    cast(case when r.is_hidden then null else r.respondents end as bigint) as respondents,
    cast(case when r.is_hidden or r.total_hidden then null else round(r.respondent_share, 1) end as double)
        as respondent_share,
    cast(r.population as bigint) as population,
    cast(round(r.population_share, 1) as double) as population_share,
    cast(round(r.ratio, 2) as double) as representation_ratio,
    cast(case
        when r.ratio is null then null
        when r.ratio < 0.8 then 'under-represented'
        when r.ratio > 1.25 then 'over-represented'
        else 'in proportion'
    end as varchar) as representation,
    cast(r.under_representation_rank as bigint) as under_representation_rank,
    coalesce(r.under_representation_rank <= 3 and r.ratio < 0.8, false) as is_most_under_represented,
    r.is_hidden as is_suppressed,
    cast(case when r.is_primary then 'primary' when r.is_hidden then 'secondary' else 'none' end as varchar)
        as suppression
from ranked as r
left join names as n on r.area_level = n.area_level and r.area_code = n.area_code
