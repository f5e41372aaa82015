-- For every count column of survey_overlap: no suppressed count can be derived from an authority or
-- partnership total, and none of 1–9 is published.
{%- set counts = ['residents_asked', 'residents_asked_more_than_once', 'duplicate_asks',
                  'duplicate_answers_removed', 'residents_with_conflicting_answers'] %}
with cells as (
    select c.*,
        {%- for col in counts %}
        o.{{ col }} is null and c.{{ col }} is not null as hidden_{{ col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_survey_overlap_cells') }} as c
    inner join {{ ref('survey_overlap') }} as o
        on c.area_level = o.area_level and c.area_code = o.area_code and c.period = o.period
       and c.measure_id = o.measure_id
),

children as (
    select ch.*,
        {%- for col in counts %}
        pa.hidden_{{ col }} as parent_{{ col }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from cells as ch
    inner join cells as pa
        on ch.parent_area_code = pa.area_code and ch.period = pa.period and ch.measure_id = pa.measure_id
       and pa.area_level = case ch.area_level when 'ward' then 'lad' when 'lad' then 'partnership' end
)

{% for col in counts %}
select '{{ col }}' as count_column, area_level, parent_area_code, period, measure_id
from ({{ suppression_violations('children', ['area_level', 'parent_area_code', 'period', 'measure_id'], col,
                                'hidden_' ~ col, 'parent_' ~ col) }}) as v_{{ loop.index }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
