-- Who is missing: respondents (each resident once) against the census population by age band, sex,
-- ethnic group and deprivation decile, per ward and local authority. Respondent counts are cell-key
-- perturbed and rounded (macros/disclosure.sql survey_count; rule cell_key_perturbation in
-- config/disclosure_policy.yml); shares and ratios are computed from the published counts.
with cells as (
    select
        c.*,
        {{ survey_count('c.respondents', 'c.cell_key') }} as published_respondents
    from {{ ref('int_survey_representation_cells') }} as c
),

shares as (
    select
        c.*,
        100.0 * c.published_respondents
            / nullif(sum(c.published_respondents) over (partition by c.area_level, c.area_code, c.period, c.dimension), 0)
            as respondent_share,
        100.0 * c.population / nullif(c.population_total, 0) as population_share
    from cells as c
),

rated as (
    select
        s.*,
        round(s.respondent_share, 1) / nullif(round(s.population_share, 1), 0) as ratio
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
    cast(r.published_respondents as bigint) as respondents,
    cast(round(r.respondent_share, 1) as double) as respondent_share,
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
    coalesce(r.under_representation_rank <= 3 and r.ratio < 0.8, false) as is_most_under_represented
from ranked as r
left join names as n on r.area_level = n.area_level and r.area_code = n.area_code
