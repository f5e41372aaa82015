-- Normalised wording → canonical skill or cause: every synonym, plus each canonical name and code.
with entries as (
    select 'skill' as term_kind, variant as wording, skill_code as term_code from {{ ref('skill_synonyms') }}
    union all
    select 'skill', skill_name, skill_code from {{ ref('skills_taxonomy') }}
    union all
    select 'skill', skill_code, skill_code from {{ ref('skills_taxonomy') }}
    union all
    select 'cause', variant, cause_code from {{ ref('cause_synonyms') }}
    union all
    select 'cause', cause_name, cause_code from {{ ref('causes_taxonomy') }}
    union all
    select 'cause', cause_code, cause_code from {{ ref('causes_taxonomy') }}
),

distinct_entries as (
    select distinct term_kind, {{ normalise_term('wording') }} as term_normalised, term_code
    from entries
)

select
    e.term_kind,
    e.term_normalised,
    e.term_code,
    coalesce(s.skill_name, c.cause_name) as term_name
from distinct_entries as e
left join {{ ref('skills_taxonomy') }} as s on e.term_kind = 'skill' and e.term_code = s.skill_code
left join {{ ref('causes_taxonomy') }} as c on e.term_kind = 'cause' and e.term_code = c.cause_code
where e.term_normalised is not null
