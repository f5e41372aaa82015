-- No suppressed quality_of_life count can be derived from a ward or authority total (and none of 1–9
-- is published). Compares the published flags with the private counts.
with cells as (
    select c.area_level, c.area_code, c.parent_area_code, c.period, c.measure_id, c.unweighted_n as n,
        q.is_suppressed
    from {{ ref('int_quality_of_life_cells') }} as c
    inner join {{ ref('quality_of_life') }} as q
        on c.area_level = q.area_level and c.area_code = q.area_code and c.period = q.period
       and c.measure_id = q.measure_id
),

children as (
    select ch.*, pa.is_suppressed as parent_hidden
    from cells as ch
    inner join cells as pa
        on ch.parent_area_code = pa.area_code and ch.period = pa.period and ch.measure_id = pa.measure_id
       and pa.area_level = case ch.area_level when 'lsoa' then 'ward' when 'ward' then 'lad' end
)

{{ suppression_violations('children', ['area_level', 'parent_area_code', 'period', 'measure_id'], 'n',
                          'is_suppressed', 'parent_hidden') }}
