{#- Volunteering helpers: term normalisation for the skills/causes taxonomies, and the matching settings. -#}

{#- Free text → comparable key: lower case, accents folded, "&" → "and", every run of punctuation or
    space → one space, trimmed; NULL when nothing is left. "First-aider" → "first aider",
    "Health & social care" → "health and social care", "Facebook/Instagram" → "facebook instagram". -#}
{% macro normalise_term(expr) -%}
    {{ return(adapter.dispatch('normalise_term', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__normalise_term(expr) -%}
    nullif(trim(regexp_replace(replace(lower({{ expr }}), '&', ' and '), '[^a-z0-9]+', ' ', 'g')), '')
{%- endmacro %}
{% macro duckdb__normalise_term(expr) -%}
    nullif(trim(regexp_replace(replace(lower(strip_accents({{ expr }})), '&', ' and '), '[^a-z0-9]+', ' ', 'g')), '')
{%- endmacro %}

{#- Milliseconds since the epoch (RPDE `modified`) → timestamp. -#}
{% macro epoch_ms_to_timestamp(expr) -%}
    {{ return(adapter.dispatch('epoch_ms_to_timestamp', 'common_ground')(expr)) }}
{%- endmacro %}
{% macro default__epoch_ms_to_timestamp(expr) -%}
    to_timestamp(({{ expr }}) / 1000.0)
{%- endmacro %}
{% macro duckdb__epoch_ms_to_timestamp(expr) -%}
    epoch_ms(cast({{ expr }} as bigint))
{%- endmacro %}

{#- Volunteer ↔ vacancy matching: the weights of the score (they sum to 1, so a score is in [0, 1])
    and how many volunteers are listed per vacancy. See models/marts/volunteer_matches.yml. -#}
{% macro volunteer_match_weights() -%}
    {{ return({'skills': 0.50, 'availability': 0.25, 'proximity': 0.15, 'causes': 0.10}) }}
{%- endmacro %}
{% macro volunteer_matches_per_vacancy() -%}
    {{ return(var('volunteer_matches_per_vacancy', 5)) }}
{%- endmacro %}

{#- How far a role's search for volunteers reaches: the volunteers living in the N nearest LSOAs (by
    centroid distance, then LSOA code) that hold a registered volunteer willing to travel that far. An
    exhaustive search is quadratic in density: at England scale up to 870 million (role, person)
    pairs in reach; 30 neighbourhoods keep every role's pool to a few hundred people nearby. -#}
{% macro volunteer_search_neighbourhoods() -%}
    {{ return(var('volunteer_search_neighbourhoods', 30)) }}
{%- endmacro %}

{#- Round a double to `places` decimals, staying a double (Postgres only rounds numerics). -#}
{% macro round_to(expr, places) -%}
    {{ return(adapter.dispatch('round_to', 'common_ground')(expr, places)) }}
{%- endmacro %}
{% macro default__round_to(expr, places) -%}
    cast(round(cast({{ expr }} as numeric), {{ places }}) as double precision)
{%- endmacro %}
{% macro duckdb__round_to(expr, places) -%}
    round(cast({{ expr }} as double), {{ places }})
{%- endmacro %}

{#- Sort key putting availability slots in week order (mon_am … sun_pm); 0 for anything else. -#}
{% macro slot_order(expr) -%}
    {{ dbt.position(expr, "'mon_am,mon_pm,tue_am,tue_pm,wed_am,wed_pm,thu_am,thu_pm,fri_am,fri_pm,sat_am,sat_pm,sun_am,sun_pm'") }}
{%- endmacro %}
