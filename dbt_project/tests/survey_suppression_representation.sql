-- No suppressed survey_representation count can be derived, either from the area's other categories
-- (its respondents with a known value) or from the authority's other wards.
with cells as (
    select c.area_level, c.area_code, c.parent_area_code, c.period, c.dimension, c.category_code,
        c.respondents as n, c.respondents_known, r.is_suppressed
    from {{ ref('int_survey_representation_cells') }} as c
    inner join {{ ref('survey_representation') }} as r
        on c.area_level = r.area_level and c.area_code = r.area_code and c.period = r.period
       and c.dimension = r.dimension and c.category_code = r.category_code
),

within_area as (
    select *, respondents_known between 1 and 9 as parent_hidden from cells
),

across_wards as (
    select ch.*, pa.is_suppressed as parent_hidden
    from cells as ch
    inner join cells as pa
        on pa.area_level = 'lad' and ch.parent_area_code = pa.area_code and ch.period = pa.period
       and ch.dimension = pa.dimension and ch.category_code = pa.category_code
    where ch.area_level = 'ward'
)

select 'within area' as structure, area_level, area_code as group_code, period, dimension, cast(null as varchar) as category_code
from ({{ suppression_violations('within_area', ['area_level', 'area_code', 'period', 'dimension'], 'n',
                                'is_suppressed', 'parent_hidden') }}) as a
union all
select 'across wards', 'ward', parent_area_code, period, dimension, category_code
from ({{ suppression_violations('across_wards', ['parent_area_code', 'period', 'dimension', 'category_code'], 'n',
                                'is_suppressed', 'parent_hidden') }}) as b
