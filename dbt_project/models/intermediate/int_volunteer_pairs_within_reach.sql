-- Every (open role, person) pair worth scoring: the person lives in one of the role's search
-- neighbourhoods (the {{ volunteer_search_neighbourhoods() }} nearest LSOAs holding volunteers, see
-- macros/volunteering.sql), within their own travel limit of it — distance between LSOA centroids
-- (haversine), the role located by its postcode's LSOA — and offers at least one skill the role needs
-- (or the role names none), with the role's needs and the shared skills counted.
-- int_volunteer_match_candidates adds the shared slots and causes.
--
-- Cost: pairs are generated skill first (role skill × people offering that skill in the search
-- neighbourhoods), never as every person in reach of every role, and distances are computed once per
-- LSOA pair, so the work grows with the number of roles, not with roles × people.
-- Memory: every CTE is `not materialized` (inlined where it is used). DuckDB materialises a CTE used
-- twice and then ran out of memory here at England scale (10 M pairs, 2500MB limit); inlined, this
-- model builds in 17.5 s, peak 2.3 GB (2026-12-04). The pairs are a table of their own, not a CTE of
-- the candidates model, so the overlap joins there see their real size: planned on a CTE estimated
-- at 222 k rows they built their hash tables on the 10 M pairs and needed 8 GB.
{{ config(pre_hook=["SET preserve_insertion_order = false"], post_hook=["RESET preserve_insertion_order"]) }}

with roles as not materialized (
    select d.vacancy_uid, d.lsoa_code
    from {{ ref('int_vacancies_deduplicated') }} as d
    where d.lsoa_code is not null
),

people as not materialized (
    select person_key, volunteer_ref, max_travel_km, lsoa_code
    from {{ ref('int_volunteer_profiles') }}
    where latitude is not null and max_travel_km is not null and max_travel_km >= 0
),

-- distances between LSOA centroids, only for LSOA pairs that hold a role and a volunteer, and only
-- within the longest travel limit of anyone in the volunteer's LSOA (a latitude band first: 1° ≥ 110 km)
role_lsoas as not materialized (
    select distinct r.lsoa_code, l.latitude, l.longitude
    from roles as r
    inner join {{ ref('stg_ons__lsoas') }} as l on r.lsoa_code = l.lsoa_code
),

person_lsoas as not materialized (
    select p.lsoa_code, l.latitude, l.longitude, max(p.max_travel_km) as max_travel_km
    from people as p
    inner join {{ ref('stg_ons__lsoas') }} as l on p.lsoa_code = l.lsoa_code
    group by p.lsoa_code, l.latitude, l.longitude
),

lsoa_distances as not materialized (
    select
        role_lsoa,
        person_lsoa,
        distance_km,
        row_number() over (partition by role_lsoa order by distance_km, person_lsoa) as nearness
    from (
        select
            r.lsoa_code as role_lsoa,
            p.lsoa_code as person_lsoa,
            p.max_travel_km,
            {{ haversine_km('r.latitude', 'r.longitude', 'p.latitude', 'p.longitude') }} as distance_km
        from role_lsoas as r
        inner join person_lsoas as p
            on r.latitude between p.latitude - p.max_travel_km / 110.0 and p.latitude + p.max_travel_km / 110.0
    ) as d
    where distance_km <= max_travel_km
),

search_area as not materialized (
    select role_lsoa, person_lsoa, distance_km
    from lsoa_distances
    where nearness <= {{ volunteer_search_neighbourhoods() }}
),

requirements as not materialized (
    select q.vacancy_uid, q.attribute, q.term_code
    from {{ ref('int_vacancy_requirements') }} as q
    inner join roles as r on q.vacancy_uid = r.vacancy_uid
),

needs as not materialized (
    select
        r.vacancy_uid,
        sum(case when q.attribute = 'skill' then 1 else 0 end) as needed_skills,
        sum(case when q.attribute = 'availability' then 1 else 0 end) as vacancy_slots,
        sum(case when q.attribute = 'cause' then 1 else 0 end) as vacancy_causes
    from roles as r
    left join requirements as q on r.vacancy_uid = q.vacancy_uid
    group by r.vacancy_uid
),

-- people in a role's search area who offer one of its skills (one row per shared skill) ...
skill_offers as not materialized (
    select o.person_key, o.term_code, p.volunteer_ref, p.max_travel_km, p.lsoa_code
    from {{ ref('int_volunteer_offers') }} as o
    inner join people as p on o.person_key = p.person_key
    where o.attribute = 'skill'
),

skill_pairs as not materialized (
    select
        r.vacancy_uid,
        o.person_key,
        min(o.volunteer_ref) as volunteer_ref,
        min(o.max_travel_km) as max_travel_km,
        min(a.distance_km) as distance_km,
        count(*) as shared_skills  -- one row per shared skill: requirements and offers are unique per term
    from roles as r
    inner join requirements as q on r.vacancy_uid = q.vacancy_uid and q.attribute = 'skill'
    inner join search_area as a on r.lsoa_code = a.role_lsoa
    inner join skill_offers as o on a.person_lsoa = o.lsoa_code and q.term_code = o.term_code
    where a.distance_km <= o.max_travel_km
    group by r.vacancy_uid, o.person_key
),

-- ... and, for a role naming no skill, everyone in its search area within their travel limit
open_pairs as not materialized (
    select r.vacancy_uid, p.person_key, p.volunteer_ref, p.max_travel_km, a.distance_km, 0 as shared_skills
    from roles as r
    inner join needs as n on r.vacancy_uid = n.vacancy_uid and n.needed_skills = 0
    inner join search_area as a on r.lsoa_code = a.role_lsoa
    inner join people as p on a.person_lsoa = p.lsoa_code
    where a.distance_km <= p.max_travel_km
),

within_reach as not materialized (
    select vacancy_uid, person_key, volunteer_ref, max_travel_km, distance_km, shared_skills from skill_pairs
    union all
    select vacancy_uid, person_key, volunteer_ref, max_travel_km, distance_km, shared_skills from open_pairs
)

select
    w.vacancy_uid,
    w.person_key,
    w.volunteer_ref,
    w.distance_km,
    w.max_travel_km,
    cast(n.needed_skills as integer) as needed_skills,
    cast(w.shared_skills as integer) as shared_skills,
    cast(n.vacancy_slots as integer) as vacancy_slots,
    cast(n.vacancy_causes as integer) as vacancy_causes
from within_reach as w
inner join needs as n on w.vacancy_uid = n.vacancy_uid
