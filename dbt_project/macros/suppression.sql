{#- A count of people, or NULL when fewer than the disclosure threshold (default 10) but not zero.
    Zero is not disclosive and stays 0. -#}
{% macro suppress_small(expr, threshold=10) -%}
    cast(case
        when coalesce({{ expr }}, 0) = 0 then 0
        when {{ expr }} < {{ threshold }} then null
        else {{ expr }}
    end as bigint)
{%- endmacro %}
