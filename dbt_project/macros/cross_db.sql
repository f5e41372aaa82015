{#- Small cross-database helpers: each dispatches so another adapter can supply its own version. -#}

{#- Canonical compact UK postcode for joining: upper case, no spaces. -#}
{% macro compact_postcode(expr) -%}
    {{ return(adapter.dispatch('compact_postcode', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__compact_postcode(expr) -%}
    upper(replace({{ expr }}, ' ', ''))
{%- endmacro %}

{#- Cast text to a number, NULL when it does not parse. -#}
{% macro to_int(expr) -%}
    {{ return(adapter.dispatch('to_int', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__to_int(expr) -%}
    {{ dbt.safe_cast("nullif(trim(" ~ expr ~ "), '')", api.Column.translate_type("bigint")) }}
{%- endmacro %}

{% macro to_double(expr) -%}
    {{ return(adapter.dispatch('to_double', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__to_double(expr) -%}
    {{ dbt.safe_cast("nullif(trim(" ~ expr ~ "), '')", "double precision") }}
{%- endmacro %}
{% macro duckdb__to_double(expr) -%}
    try_cast(nullif(trim({{ expr }}), '') as double)
{%- endmacro %}

{% macro to_date(expr) -%}
    {{ return(adapter.dispatch('to_date', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__to_date(expr) -%}
    {{ dbt.safe_cast("nullif(trim(" ~ expr ~ "), '')", api.Column.translate_type("date")) }}
{%- endmacro %}

{% macro to_timestamp(expr) -%}
    {{ return(adapter.dispatch('to_timestamp', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__to_timestamp(expr) -%}
    {{ dbt.safe_cast("nullif(trim(" ~ expr ~ "), '')", api.Column.translate_type("timestamp")) }}
{%- endmacro %}
{% macro duckdb__to_timestamp(expr) -%}
    try_cast(try_cast(nullif(trim({{ expr }}), '') as timestamptz) as timestamp)
{%- endmacro %}

{#- The as-of date: var as_of_date when set, else today. -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', '') -%}
    {%- if value -%} cast('{{ value }}' as date) {%- else -%} cast({{ dbt.current_timestamp() }} as date) {%- endif -%}
{%- endmacro %}

{#- Distance in km between two lat/long points (haversine), portable SQL. -#}
{% macro haversine_km(lat1, lon1, lat2, lon2) -%}
    (2 * 6371.0 * asin(sqrt(
        power(sin(radians(({{ lat2 }}) - ({{ lat1 }})) / 2), 2)
        + cos(radians({{ lat1 }})) * cos(radians({{ lat2 }})) * power(sin(radians(({{ lon2 }}) - ({{ lon1 }})) / 2), 2)
    )))
{%- endmacro %}
