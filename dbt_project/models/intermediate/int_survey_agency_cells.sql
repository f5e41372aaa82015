-- Residents per agency in each survey cell, with a survey cell key (macros/disclosure.sql survey_cell_key),
-- so the marts can name an agency for a cell only when its published (perturbed, wave-keyed, rounded)
-- count reaches survey_estimate_min_base (docs/disclosure.md): quality_of_life.contributing_agencies and
-- survey_overlap.agencies_asking / n_agencies_asking. Private.
--   quality_of_life: residents whose kept answer to the measure came from the agency (LSOA, ward, authority;
--     the same residents as int_quality_of_life_cells)
--   survey_overlap: residents the agency asked the measure (partnership, authority or 'unplaced', ward; the
--     same residents as int_survey_overlap_cells)
with residents as (
    select p.resident_key, p.period, p.lsoa_code, p.ward_code, p.lad_code, k.record_key
    from {{ ref('int_survey_residents_profiled') }} as p
    inner join {{ ref('int_survey_resident_record_keys') }} as k on p.resident_key = k.resident_key
),

kept as (
    select distinct d.resident_key, d.period, d.measure_id, d.kept_agency as agency,
        r.lsoa_code, r.ward_code, r.lad_code, r.record_key
    from {{ ref('int_survey_measures_deduplicated') }} as d
    inner join {{ ref('question_bank_measures') }} as m
        on d.measure_id = m.measure_id and m.domain = 'quality_of_life'
    inner join residents as r on d.resident_key = r.resident_key and d.period = r.period
    inner join {{ ref('int_survey_residents_weighted') }} as w
        on d.resident_key = w.resident_key and d.period = w.period
    where d.valence in ('positive', 'neutral', 'negative')
      and r.lsoa_code is not null
),

asked as (
    select distinct a.resident_key, a.period, a.measure_id, a.agency,
        coalesce(r.lad_code, 'unplaced') as lad_code, r.ward_code, r.record_key
    from {{ ref('int_survey_measure_asks') }} as a
    inner join residents as r on a.resident_key = r.resident_key and a.period = r.period
),

levels as (
    select 'quality_of_life' as mart, 'lsoa' as area_level, lsoa_code as area_code, period, measure_id, agency,
        record_key
    from kept
    union all
    select 'quality_of_life', 'ward', ward_code, period, measure_id, agency, record_key from kept
    union all
    select 'quality_of_life', 'lad', lad_code, period, measure_id, agency, record_key from kept
    union all
    select 'survey_overlap', 'partnership', 'all', period, measure_id, agency, record_key from asked
    union all
    select 'survey_overlap', 'lad', lad_code, period, measure_id, agency, record_key from asked
    union all
    select 'survey_overlap', 'ward', ward_code, period, measure_id, agency, record_key from asked
    where ward_code is not null
),

cells as (
    select mart, area_level, area_code, period, measure_id, agency,
        count(*) as residents, sum(record_key) as key_sum
    from levels
    group by mart, area_level, area_code, period, measure_id, agency
)

select
    c.mart,
    c.area_level,
    c.area_code,
    c.period,
    c.measure_id,
    c.agency,
    cast(c.residents as bigint) as residents,
    {{ survey_cell_key('c.key_sum', 'wk.wave_key') }} as cell_key
from cells as c
left join {{ ref('int_survey_wave_keys') }} as wk on c.period = wk.period
