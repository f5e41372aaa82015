{#- Disclosure control: every rule config/disclosure_policy.yml can name, in one module (docs/disclosure.md).
    threshold_secondary: suppress_small / is_small_count / secondary_suppression / suppress_siblings;
    whole_survey_frequency: frequency_min_base; cell_key_perturbation: cell_key / perturbed_count;
    survey marts (cell_key_perturbation with a wave key): survey_cell_key / survey_count;
    partner_only: distance_band.
    Tunables are dbt vars (disclosure_threshold, consultation_min_base, cell_key_ptable_max,
    survey_rounding_base, match_distance_bands). -#}

{#- A count of people, or NULL when fewer than the disclosure threshold (default 10) but not zero.
    Zero is not disclosive and stays 0. -#}
{% macro suppress_small(expr, threshold=none) -%}
{%- set threshold = threshold or var('disclosure_threshold') -%}
    cast(case
        when coalesce({{ expr }}, 0) = 0 then 0
        when {{ expr }} < {{ threshold }} then null
        else {{ expr }}
    end as bigint)
{%- endmacro %}

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
{% macro is_small_count(expr, threshold=none) -%}
{%- set threshold = threshold or var('disclosure_threshold') -%}
    coalesce({{ expr }} between 1 and {{ threshold - 1 }}, false)
{%- endmacro %}

{% macro secondary_suppression(relation, partition_by, value, hidden, parent_hidden, tiebreak, out, threshold=none) -%}
{#- All arguments name bare columns of `relation`. -#}
{%- set part = partition_by | join(', ') -%}
{%- set threshold = threshold or var('disclosure_threshold') -%}
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
{% macro suppress_siblings(relation, partition_by, values, hidden, parent_hidden, tiebreak, out, threshold=none) -%}
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
{% macro any_small_count(columns, prefix='', threshold=none) -%}
    ({%- for c in columns %}{{ is_small_count(prefix ~ c, threshold) }}{% if not loop.last %} or {% endif %}{% endfor -%})
{%- endmacro %}

{#- For data tests: the sibling groups of `relation` in which a hidden count could be derived — the
    parent is published and the hidden siblings' total is 1–9, or the parent is hidden but equals the
    sum of published siblings. `value` is the private count, `hidden` whether it is published. -#}
{% macro suppression_violations(relation, partition_by, value, hidden, parent_hidden, threshold=none) -%}
{%- set threshold = threshold or var('disclosure_threshold') -%}
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


{#- whole_survey_frequency: the minimum base of a survey's questions when the policy publishes that survey
    as a frequency table (scope survey_question only), else NULL (the survey uses threshold_secondary). -#}
{% macro frequency_min_base(scope, survey_id) -%}
{%- set surveys = var('disclosure_frequency_surveys') or {} -%}
{%- set default_rule = var('disclosure_default_survey_rule') -%}
{%- set base = var('consultation_min_base') -%}
    case when {{ scope }} = 'survey_question' then
        case
            when {{ survey_id }} is null then null
        {%- for survey, min_base in surveys.items() %}
            when {{ survey_id }} = '{{ survey }}' then {{ min_base if min_base is not none else base }}
        {%- endfor %}
            else {{ base if default_rule == 'whole_survey_frequency' else 'null' }}
        end
    end
{%- endmacro %}

{#- cell_key_perturbation (ONS Census 2021). Every person carries a fixed record key 0-255 (keyed hash of
    their pseudonym: int_volunteer_record_keys, int_survey_resident_record_keys). A cell's key is the sum
    of its records' keys mod 256 (use inside an aggregation). -#}
{% macro cell_key(record_key_column) -%}
    cast(coalesce(sum({{ record_key_column }}), 0) % 256 as integer)
{%- endmacro %}

{#- The published value of a count of people: count + ptable adjustment for (min(count, ptable max), cell key).
    0 stays 0; no published value is 1 or 2 (see seeds/disclosure/disclosure_ptable.csv). -#}
{% macro perturbed_count(count_expr, cell_key_expr) -%}
    cast(case when coalesce({{ count_expr }}, 0) = 0 then 0 else {{ count_expr }} + (
        select p.adjustment from {{ ref('disclosure_ptable') }} as p
        where p.pcv = least({{ count_expr }}, {{ var('cell_key_ptable_max') }}) and p.ckey = {{ cell_key_expr }}
    ) end as bigint)
{%- endmacro %}

{#- partner_only rows: a distance as a band, never the number ("under 5 km", "5–10 km", "10 km+" for the
    default var match_distance_bands [5, 10]). -#}
{% macro distance_band(km_expr) -%}
{%- set edges = var('match_distance_bands') -%}
    case
        when {{ km_expr }} < {{ edges[0] }} then 'under {{ edges[0] }} km'
    {%- for edge in edges[1:] %}
        when {{ km_expr }} < {{ edge }} then '{{ edges[loop.index0] }}–{{ edge }} km'
    {%- endfor %}
        else '{{ edges[-1] }} km+'
    end
{%- endmacro %}

{#- Attribute disclosure: a cell of fewer than var attribute_disclosure_max_n people in which everyone gave a
    positive answer, or everyone a negative one, says something about each of them. It is hidden like a
    small count (a primary suppression), so secondary suppression also protects it. -#}
{% macro one_way_cell(n, pct_positive, pct_negative) -%}
    coalesce({{ n }} < {{ var('attribute_disclosure_max_n') }}
             and ({{ pct_positive }} >= 100 - 1e-9 or {{ pct_negative }} >= 100 - 1e-9), false)
{%- endmacro %}

{#- Primary suppression of a survey estimate cell (relation alias c): a small base or a one-way cell. -#}
{% macro survey_cell_primary(c) -%}
    ({{ is_small_count(c ~ '.unweighted_n') }}
     or {{ one_way_cell(c ~ '.unweighted_n', c ~ '.pct_positive', c ~ '.pct_negative') }})
{%- endmacro %}

{#- cell_key_perturbation for survey marts (docs/disclosure.md). A survey cell's key adds the wave key (the
    record keys of every resident surveyed in the period, int_survey_wave_keys) to the cell's own record keys,
    so one added response re-draws every cell of its period, not only the cells it falls in; the same data
    still gives the same published values. -#}
{% macro survey_cell_key(key_sum_expr, wave_key_expr) -%}
    cast((coalesce({{ key_sum_expr }}, 0) + coalesce({{ wave_key_expr }}, 0)) % 256 as integer)
{%- endmacro %}

{#- The published value of a survey count of people: the perturbed count rounded to the nearest multiple of
    var survey_rounding_base (5). 0 stays 0; every published value is a multiple of the base. -#}
{% macro survey_count(count_expr, cell_key_expr) -%}
{%- set base = var('survey_rounding_base') -%}
    cast({{ base }} * round({{ perturbed_count(count_expr, cell_key_expr) }} / {{ base }}) as bigint)
{%- endmacro %}

{#- The published value of a count of volunteers living here (int_volunteer_residence_cells, whose cell key
    adds the register key): the perturbed count rounded to the nearest multiple of var
    volunteer_rounding_base (1 = not rounded). 0 stays 0. -#}
{% macro volunteer_count(count_expr, cell_key_expr) -%}
{%- set base = var('volunteer_rounding_base') -%}
{%- if base == 1 -%}
    {{ perturbed_count(count_expr, cell_key_expr) }}
{%- else -%}
    cast({{ base }} * round({{ perturbed_count(count_expr, cell_key_expr) }} / {{ base }}) as bigint)
{%- endif -%}
{%- endmacro %}

{#- expr held within [low, high], NULL kept NULL (DuckDB's least / greatest skip NULLs). -#}
{% macro clamp(expr, low, high) -%}
    case when ({{ expr }}) is not null then least(greatest({{ expr }}, {{ low }}), {{ high }}) end
{%- endmacro %}
