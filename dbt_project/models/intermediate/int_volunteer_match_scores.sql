{%- set w = volunteer_match_weights() -%}
-- Eligibility, score and rank of every candidate (role, person) pair (the readable reasons of the top
-- ones are written in the volunteer_matches mart).
--
-- Eligible (a "suitable volunteer"): within their own max_travel_km of the role; offers at least one
-- skill the role needs (if it names any); free in at least one of the role's slots (if it names any).
-- Score = {{ w['skills'] }} × skills + {{ w['availability'] }} × availability + {{ w['proximity'] }} × proximity
--         + {{ w['causes'] }} × causes, each part in [0, 1], so the score is in [0, 1]:
--   skills       = share of the role's needed skills the person offers (1 when the role names none)
--   availability = share of the role's slots the person is free in (1 when the role names none)
--   proximity    = 1 − distance / the person's travel limit (1 at 0 km, 0 at the limit)
--   causes       = share of the role's causes among the person's preferred causes (0 when the role names none)
-- Ranked per role by score, then distance, then volunteer_ref (deterministic).
with eligible as (
    select *
    from {{ ref('int_volunteer_match_candidates') }}
    where distance_km <= max_travel_km
      and (needed_skills = 0 or shared_skills > 0)
      and (vacancy_slots = 0 or shared_slots > 0)
),

parts as (
    select
        *,
        case when needed_skills = 0 then 1.0 else 1.0 * shared_skills / needed_skills end as skills_score,
        case when vacancy_slots = 0 then 1.0 else 1.0 * shared_slots / vacancy_slots end as availability_score,
        case when max_travel_km <= 0 then 1.0 else 1.0 - distance_km / max_travel_km end as proximity_score,
        case when vacancy_causes = 0 then 0.0 else 1.0 * shared_causes / vacancy_causes end as cause_score
    from eligible
),

scored as (
    select
        *,
        {{ round_to(w['skills'] ~ ' * skills_score + ' ~ w['availability'] ~ ' * availability_score + '
                    ~ w['proximity'] ~ ' * proximity_score + ' ~ w['causes'] ~ ' * cause_score', 4) }} as score
    from parts
)

select
    vacancy_uid,
    person_key,
    volunteer_ref,
    cast(row_number() over (partition by vacancy_uid order by score desc, distance_km, volunteer_ref)
         as integer) as match_rank,
    score,
    {{ round_to('skills_score', 4) }} as skills_score,
    {{ round_to('availability_score', 4) }} as availability_score,
    {{ round_to('proximity_score', 4) }} as proximity_score,
    {{ round_to('cause_score', 4) }} as cause_score,
    distance_km,
    max_travel_km,
    shared_skills,
    shared_slots,
    shared_causes
from scored
