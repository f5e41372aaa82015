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

{#- ---- Service-map standardisation (names, phones, web domains, postcodes) ------------------------ -#}

{#- Replace every match of a regular expression (POSIX-style pattern, no backreferences). -#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'common_ground')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
{% macro snowflake__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{#- Accents folded to plain letters where the database can (café → cafe). -#}
{% macro fold_accents(expr) -%}
    {{ return(adapter.dispatch('fold_accents', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__fold_accents(expr) -%}
    {{ expr }}
{%- endmacro %}
{% macro duckdb__fold_accents(expr) -%}
    strip_accents({{ expr }})
{%- endmacro %}

{#- Text for comparing names: lower case, accents folded, '&' → 'and', runs of anything but letters and
    digits → one space. -#}
{% macro clean_text(expr) -%}
    {{ return(adapter.dispatch('clean_text', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__clean_text(expr) -%}
    nullif(trim({{ regexp_replace_all(
        regexp_replace_all("replace(lower(" ~ fold_accents(expr) ~ "), '&', ' and ')", "[^a-z0-9]+", " "),
        "\\s+", " ") }}), '')
{%- endmacro %}

{#- An organisation name for comparing: clean_text without a leading "the" or a trailing legal form. -#}
{% macro clean_organisation(expr) -%}
    {{ return(adapter.dispatch('clean_organisation', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__clean_organisation(expr) -%}
    nullif(trim({{ regexp_replace_all(
        regexp_replace_all(clean_text(expr), "^the ", ""),
        " (cio|ltd|limited|plc|cic|llp|inc|charitable incorporated organisation)$", "") }}), '')
{%- endmacro %}

{#- A UK phone number as national digits (01452527202): +44 / (0) / spaces / punctuation removed;
    NULL unless 10 or 11 digits starting with 0 remain. -#}
{% macro uk_phone(expr) -%}
    {{ return(adapter.dispatch('uk_phone', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__uk_phone(expr) -%}
    {%- set digits = regexp_replace_all("replace(" ~ expr ~ ", '(0)', '')", "[^0-9]", "") -%}
    {%- set national = "case when " ~ digits ~ " like '0044%' then '0' || substr(" ~ digits ~ ", 5) when "
                       ~ digits ~ " like '44%' then '0' || substr(" ~ digits ~ ", 3) else " ~ digits ~ " end" -%}
    case when length({{ national }}) in (10, 11) and {{ national }} like '0%' then {{ national }} end
{%- endmacro %}

{#- The host of a web address without scheme, "www.", port, path or trailing dot. -#}
{% macro web_domain(expr) -%}
    {{ return(adapter.dispatch('web_domain', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__web_domain(expr) -%}
    nullif({{ regexp_replace_all(
        regexp_replace_all(
            regexp_replace_all("lower(trim(" ~ expr ~ "))", "^[a-z][a-z0-9+.-]*://", ""),
            "^www[0-9]*\\.", ""),
        "[/:?#].*$|\\.$", "") }}, '')
{%- endmacro %}

{#- The domain of an e-mail address, lower case. -#}
{% macro email_domain(expr) -%}
    {{ return(adapter.dispatch('email_domain', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__email_domain(expr) -%}
    nullif(lower(trim(split_part({{ expr }}, '@', 2))), '')
{%- endmacro %}

{#- A UK postcode in its published form: upper case, one space before the inward code (GL1 1HT). -#}
{% macro format_postcode(expr) -%}
    {{ return(adapter.dispatch('format_postcode', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__format_postcode(expr) -%}
    {%- set compact = compact_postcode("trim(" ~ expr ~ ")") -%}
    case when length({{ compact }}) between 5 and 7
         then substr({{ compact }}, 1, length({{ compact }}) - 3) || ' ' || substr({{ compact }}, length({{ compact }}) - 2)
    end
{%- endmacro %}

{#- True when the text matches a regular expression (anywhere in it; anchor with ^…$). -#}
{% macro regexp_test(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_test', 'common_ground')(expr, pattern)) }}
{%- endmacro %}
{% macro default__regexp_test(expr, pattern) -%}
    regexp_like({{ expr }}, '{{ pattern }}')
{%- endmacro %}
{% macro duckdb__regexp_test(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern }}')
{%- endmacro %}
{% macro postgres__regexp_test(expr, pattern) -%}
    ({{ expr }} ~ '{{ pattern }}')
{%- endmacro %}

{#- The first UK postcode written in free text (an address line), upper case as written, or NULL. -#}
{% macro postcode_in_text(expr) -%}
    {{ return(adapter.dispatch('postcode_in_text', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__postcode_in_text(expr) -%}
    nullif(regexp_substr(upper({{ expr }}), '[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}'), '')
{%- endmacro %}
{% macro duckdb__postcode_in_text(expr) -%}
    nullif(regexp_extract(upper({{ expr }}), '(^|[^A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})([^A-Z0-9]|$)', 2), '')
{%- endmacro %}
{% macro postgres__postcode_in_text(expr) -%}
    substring(upper({{ expr }}) from '(?:^|[^A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})(?:[^A-Z0-9]|$)')
{%- endmacro %}
