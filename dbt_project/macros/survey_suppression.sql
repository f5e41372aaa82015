{#- Small-number suppression for published aggregates of people (surveys domain).

    Primary: a count of 1–9 people is hidden (0 is not disclosive and stays).
    Secondary, one pass over one count column within groups of siblings that add up to a parent total
    (LSOAs in a ward, wards in an authority, the responses of one question):
      * parent published: if the hidden siblings' total is 1–9 (e.g. exactly one small cell is hidden,
        so parent minus the published siblings would give it away), also hide the smallest published
        sibling with a non-zero count. The hidden total then exceeds 9 and no hidden cell is recoverable.
      * parent hidden: if no sibling with a non-zero count is hidden (so parent = sum of published
        siblings would reveal the parent), hide the smallest non-zero sibling.
      * no parent total (top level): nothing more.
    Ties are broken by `tiebreak` so the result is deterministic. The macro adds the boolean column
    `out` (= `hidden` or chosen by this pass); helper columns end in `_<out>` and are not selected by
    callers. Several passes (several columns or several group structures) chain by feeding `out` of
    one pass as `hidden` of the next. -#}
{% macro is_small_count(expr, threshold=10) -%}
    coalesce({{ expr }} between 1 and {{ threshold - 1 }}, false)
{%- endmacro %}

{% macro secondary_suppression(relation, partition_by, value, hidden, parent_hidden, tiebreak, out, threshold=10) -%}
{#- All arguments name bare columns of `relation`. -#}
{%- set part = partition_by | join(', ') -%}
select
    s.*,
    (s.{{ hidden }} or coalesce(s.pick_{{ out }} and s.needed_{{ out }}, false)) as {{ out }}
from (
    select
        r.*,
        (not {{ hidden }} and coalesce({{ value }}, 0) > 0
         and row_number() over (
             partition by {{ part }}
             order by case when not {{ hidden }} and coalesce({{ value }}, 0) > 0 then 0 else 1 end,
                      {{ value }}, {{ tiebreak }}) = 1) as pick_{{ out }},
        case
            when {{ parent_hidden }} is null then false
            when not {{ parent_hidden }} then
                sum(case when {{ hidden }} then coalesce({{ value }}, 0) else 0 end) over (partition by {{ part }})
                    between 1 and {{ threshold - 1 }}
            else
                sum(case when {{ hidden }} and coalesce({{ value }}, 0) > 0 then 1 else 0 end)
                    over (partition by {{ part }}) = 0
        end as needed_{{ out }}
    from {{ relation }} as r
) as s
{%- endmacro %}

{#- Round 100 * num / den to one decimal, half away from zero, from exact integers (so a published
    percentage matches a hand count to the last digit). NULL when den is 0 or NULL. -#}
{% macro pct_1dp(num, den) -%}
    case when coalesce({{ den }}, 0) = 0 then null else
        sign({{ num }}) * floor((2000.0 * abs({{ num }}) + {{ den }}) / (2.0 * {{ den }})) / 10.0
    end
{%- endmacro %}

{#- Secondary suppression over several count columns of the same rows: one pass per column, chained
    (a row hidden for one column hides the whole row). One pass per column suffices: a row that is not
    hidden has every count 0 or >= threshold, so hiding it for a later column can only move an earlier
    column's hidden total from 0 or >= threshold to >= threshold. -#}
{% macro suppress_siblings(relation, partition_by, values, hidden, parent_hidden, tiebreak, out, threshold=10) -%}
{%- set ns = namespace(sql='select * from ' ~ relation, hidden=hidden) -%}
{%- for value in values -%}
    {%- set name = out ~ '_' ~ loop.index -%}
    {%- set ns.sql = secondary_suppression('(' ~ ns.sql ~ ')', partition_by, value, ns.hidden, parent_hidden,
                                           tiebreak, name, threshold) -%}
    {%- set ns.hidden = name -%}
{%- endfor -%}
select chained.*, chained.{{ ns.hidden }} as {{ out }} from ({{ ns.sql }}) as chained
{%- endmacro %}

{#- True when any of the count columns is 1–9. -#}
{% macro any_small_count(columns, prefix='', threshold=10) -%}
    ({%- for c in columns %}{{ is_small_count(prefix ~ c, threshold) }}{% if not loop.last %} or {% endif %}{% endfor -%})
{%- endmacro %}

{#- For data tests: the sibling groups of `relation` in which a hidden count could be derived — the
    parent is published and the hidden siblings' total is 1–9, or the parent is hidden but equals the
    sum of published siblings. `value` is the private count, `hidden` whether it is published. -#}
{% macro suppression_violations(relation, partition_by, value, hidden, parent_hidden, threshold=10) -%}
select {{ partition_by | join(', ') }},
    sum(case when {{ hidden }} then {{ value }} else 0 end) as hidden_total,
    sum(case when {{ hidden }} and {{ value }} > 0 then 1 else 0 end) as hidden_cells,
    sum(case when not {{ hidden }} and {{ value }} > 0 then 1 else 0 end) as published_cells,
    bool_or({{ parent_hidden }}) as parent_hidden
from {{ relation }}
group by {{ partition_by | join(', ') }}
having (not bool_or({{ parent_hidden }})
        and sum(case when {{ hidden }} then {{ value }} else 0 end) between 1 and {{ threshold - 1 }})
    or (bool_or({{ parent_hidden }})
        and sum(case when {{ hidden }} and {{ value }} > 0 then 1 else 0 end) = 0
        and sum(case when not {{ hidden }} and {{ value }} > 0 then 1 else 0 end) > 0)
    or sum(case when not {{ hidden }} and {{ value }} between 1 and {{ threshold - 1 }} then 1 else 0 end) > 0
{%- endmacro %}
