-- Unsuppressed quality-of-life estimates per area (LSOA, ward, local authority) × period × measure,
-- from one kept answer per resident, weighted by raking weights, with the unweighted positive and negative
-- counts and a survey cell key for each count (macros/disclosure.sql). Private: the mart perturbs.
with measures as (
    select measure_id
    from {{ ref('question_bank_measures') }}
    where domain = 'quality_of_life'
),

asked as (
    -- the measures asked in each period (a cell exists for every area even with no answers)
    select distinct a.period, a.measure_id
    from {{ ref('int_survey_measure_asks') }} as a
    inner join measures as m on a.measure_id = m.measure_id
),

kept as (
    select
        d.period,
        d.measure_id,
        d.kept_agency,
        d.valence,
        cast(d.score as double) as score,
        p.lsoa_code,
        p.ward_code,
        p.lad_code,
        w.weight,
        k.record_key
    from {{ ref('int_survey_measures_deduplicated') }} as d
    inner join measures as m on d.measure_id = m.measure_id
    inner join {{ ref('int_survey_residents_profiled') }} as p
        on d.resident_key = p.resident_key and d.period = p.period
    inner join {{ ref('int_survey_residents_weighted') }} as w
        on d.resident_key = w.resident_key and d.period = w.period
    inner join {{ ref('int_survey_resident_record_keys') }} as k on d.resident_key = k.resident_key
    where d.valence in ('positive', 'neutral', 'negative')
      and p.lsoa_code is not null
),

at_levels as (
    select 'lsoa' as area_level, lsoa_code as area_code, * from kept
    union all
    select 'ward', ward_code, * from kept
    union all
    select 'lad', lad_code, * from kept
),

estimates as (
    select
        area_level,
        area_code,
        period,
        measure_id,
        count(*) as unweighted_n,
        sum(weight) as sum_w,
        sum(weight * weight) as sum_w2,
        sum(case when valence = 'positive' then weight else 0 end) / sum(weight) as p_positive,
        sum(case when valence = 'negative' then weight else 0 end) / sum(weight) as p_negative,
        sum(weight * score) / nullif(sum(case when score is not null then weight end), 0) as mean_score,
        sum(weight * score * score) / nullif(sum(case when score is not null then weight end), 0) as mean_sq,
        count(distinct kept_agency) as contributing_agencies,
        sum(case when valence = 'positive' then 1 else 0 end) as positive_n,
        sum(case when valence = 'negative' then 1 else 0 end) as negative_n,
        sum(record_key) as key_all,
        sum(case when valence = 'positive' then record_key else 0 end) as key_positive,
        sum(case when valence = 'negative' then record_key else 0 end) as key_negative
    from at_levels
    group by area_level, area_code, period, measure_id
),

areas as (
    select distinct 'lsoa' as area_level, lsoa_code as area_code, lsoa_name as area_name,
        ward_code as parent_area_code, lad_code
    from {{ ref('stg_ons__lsoas') }}
    union all
    select distinct 'ward', ward_code, ward_name, lad_code, lad_code
    from {{ ref('stg_ons__lsoas') }}
    union all
    select distinct 'lad', lad_code, lad_name, cast(null as varchar), lad_code
    from {{ ref('stg_ons__lsoas') }}
),

joined as (
    select
        a.area_level,
        a.area_code,
        a.area_name,
        a.parent_area_code,
        a.lad_code,
        k.period,
        k.measure_id,
        coalesce(e.unweighted_n, 0) as unweighted_n,
        e.sum_w * e.sum_w / nullif(e.sum_w2, 0) as effective_n,
        e.p_positive,
        e.p_negative,
        e.mean_score,
        greatest(e.mean_sq - e.mean_score * e.mean_score, 0) as var_score,
        coalesce(e.contributing_agencies, 0) as contributing_agencies,
        coalesce(e.positive_n, 0) as positive_n,
        coalesce(e.negative_n, 0) as negative_n,
        {{ survey_cell_key('e.key_all', 'wk.wave_key') }} as cell_key,
        {{ survey_cell_key('e.key_positive', 'wk.wave_key') }} as positive_cell_key,
        {{ survey_cell_key('e.key_negative', 'wk.wave_key') }} as negative_cell_key
    from areas as a
    cross join asked as k
    left join estimates as e
        on a.area_level = e.area_level and a.area_code = e.area_code
       and k.period = e.period and k.measure_id = e.measure_id
    left join {{ ref('int_survey_wave_keys') }} as wk on k.period = wk.period
),

z as (select 1.959963984540054 as z)

select
    j.area_level,
    j.area_code,
    j.area_name,
    j.parent_area_code,
    j.lad_code,
    j.period,
    j.measure_id,
    cast(j.unweighted_n as bigint) as unweighted_n,
    j.effective_n,
    100 * j.p_positive as pct_positive,
    -- Wilson score interval on the effective sample size (design effect of the weights)
    100 * ((j.p_positive + z.z * z.z / (2 * j.effective_n))
           - z.z * sqrt(j.p_positive * (1 - j.p_positive) / j.effective_n
                        + z.z * z.z / (4 * j.effective_n * j.effective_n)))
        / (1 + z.z * z.z / j.effective_n) as pct_positive_ci_lower,
    100 * ((j.p_positive + z.z * z.z / (2 * j.effective_n))
           + z.z * sqrt(j.p_positive * (1 - j.p_positive) / j.effective_n
                        + z.z * z.z / (4 * j.effective_n * j.effective_n)))
        / (1 + z.z * z.z / j.effective_n) as pct_positive_ci_upper,
    100 * j.p_negative as pct_negative,
    j.mean_score,
    j.mean_score - z.z * sqrt(j.var_score / j.effective_n) as mean_score_ci_lower,
    j.mean_score + z.z * sqrt(j.var_score / j.effective_n) as mean_score_ci_upper,
    cast(j.contributing_agencies as bigint) as contributing_agencies,
    cast(j.positive_n as bigint) as positive_n,
    cast(j.negative_n as bigint) as negative_n,
    j.cell_key,
    j.positive_cell_key,
    j.negative_cell_key
from joined as j
cross join z
