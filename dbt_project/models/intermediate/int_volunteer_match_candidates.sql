-- The candidate (role, person) pairs of int_volunteer_pairs_within_reach with the slots and causes
-- they share counted. Shared slots and causes are list intersections of each side's terms, never a
-- join of every pair to its terms: at England scale (130,000 roles, 434,000 people, 10 M pairs)
-- counting them with a pair × term join took 226 s (peak 4.1 GB). With the pairs a table of their own
-- this model builds in 13.2 s on both cores, peak 2.3 GB; as one model with the pairs a CTE it ran out
-- of memory at the benchmark's 2500MB limit (43 s and 8.1 GB at an 8 GB limit; same rows, 2026-12-04).
{{ config(pre_hook=["SET preserve_insertion_order = false"], post_hook=["RESET preserve_insertion_order"]) }}

with pairs as (
    select * from {{ ref('int_volunteer_pairs_within_reach') }}
),

requirements as (
    select vacancy_uid, attribute, term_code
    from {{ ref('int_vacancy_requirements') }}
    where attribute in ('availability', 'cause')
),

-- each role's and each person's slots and causes as lists: a pair's shared slots and causes are list
-- intersections, so candidate pairs are never joined to the terms one row per term
role_terms as (
    select
        vacancy_uid,
        list(term_code) filter (where attribute = 'availability') as slots,
        list(term_code) filter (where attribute = 'cause') as causes
    from requirements
    group by vacancy_uid
),

person_terms as (
    select
        person_key,
        list(term_code) filter (where attribute = 'availability') as slots,
        list(term_code) filter (where attribute = 'cause') as causes
    from {{ ref('int_volunteer_offers') }}
    where attribute in ('availability', 'cause')
    group by person_key
)

select
    w.vacancy_uid,
    w.person_key,
    w.volunteer_ref,
    w.distance_km,
    w.max_travel_km,
    w.needed_skills,
    w.shared_skills,
    w.vacancy_slots,
    cast(coalesce(len(list_intersect(rt.slots, pt.slots)), 0) as integer) as shared_slots,
    w.vacancy_causes,
    cast(coalesce(len(list_intersect(rt.causes, pt.causes)), 0) as integer) as shared_causes
from pairs as w
left join role_terms as rt on w.vacancy_uid = rt.vacancy_uid
left join person_terms as pt on w.person_key = pt.person_key
