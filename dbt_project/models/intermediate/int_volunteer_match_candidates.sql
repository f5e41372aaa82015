-- Every (open role, person) pair worth scoring: the person offers at least one skill the role needs (or
-- the role names none) and lives within their own travel limit of it — distance between LSOA
-- centroids (haversine), the role located by its postcode's LSOA. Overlaps are counted here; the
-- eligibility rules and the score are applied in int_volunteer_match_scores. Distances are computed
-- once per LSOA pair, then looked up, so the pair count drives the cost rather than trigonometry.
with roles as (
    select d.vacancy_uid, d.lsoa_code
    from {{ ref('int_vacancies_deduplicated') }} as d
    where d.lsoa_code is not null
),

people as (
    select person_key, volunteer_ref, max_travel_km, lsoa_code
    from {{ ref('int_volunteer_profiles') }}
    where latitude is not null and max_travel_km is not null and max_travel_km >= 0
),

-- distances between LSOA centroids, only for LSOA pairs that hold a role and a volunteer, and only
-- within the longest travel limit of anyone in the volunteer's LSOA (a latitude band first: 1° ≥ 110 km)
role_lsoas as (
    select distinct r.lsoa_code, l.latitude, l.longitude
    from roles as r
    inner join {{ ref('stg_ons__lsoas') }} as l on r.lsoa_code = l.lsoa_code
),

person_lsoas as (
    select p.lsoa_code, l.latitude, l.longitude, max(p.max_travel_km) as max_travel_km
    from people as p
    inner join {{ ref('stg_ons__lsoas') }} as l on p.lsoa_code = l.lsoa_code
    group by p.lsoa_code, l.latitude, l.longitude
),

lsoa_distances as (
    select role_lsoa, person_lsoa, distance_km
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

needs as (
    select
        r.vacancy_uid,
        sum(case when q.attribute = 'skill' then 1 else 0 end) as needed_skills,
        sum(case when q.attribute = 'availability' then 1 else 0 end) as vacancy_slots,
        sum(case when q.attribute = 'cause' then 1 else 0 end) as vacancy_causes
    from roles as r
    left join {{ ref('int_vacancy_requirements') }} as q on r.vacancy_uid = q.vacancy_uid
    group by r.vacancy_uid
),

-- everyone within their travel limit of each role (a lookup of the LSOA-pair distance) ...
reach as (
    select r.vacancy_uid, p.person_key, p.volunteer_ref, p.max_travel_km, ld.distance_km
    from roles as r
    inner join lsoa_distances as ld on r.lsoa_code = ld.role_lsoa
    inner join people as p on ld.person_lsoa = p.lsoa_code
    where ld.distance_km <= p.max_travel_km
),

-- ... the terms each of those pairs share, in one join (skills, slots and causes together); pairs
-- sharing nothing have no row here ...
overlap as (
    select
        w.vacancy_uid,
        w.person_key,
        sum(case when q.attribute = 'skill' then 1 else 0 end) as shared_skills,
        sum(case when q.attribute = 'availability' then 1 else 0 end) as shared_slots,
        sum(case when q.attribute = 'cause' then 1 else 0 end) as shared_causes
    from reach as w
    inner join {{ ref('int_vacancy_requirements') }} as q on w.vacancy_uid = q.vacancy_uid
    inner join {{ ref('int_volunteer_offers') }} as o
        on w.person_key = o.person_key and q.attribute = o.attribute and q.term_code = o.term_code
    group by w.vacancy_uid, w.person_key
),

-- ... kept when the person offers at least one skill the role needs (or the role names none). A join
-- and a filter rather than a correlated EXISTS per pair: 15x faster on the region benchmark.
within_reach as (
    select
        w.*,
        n.needed_skills,
        n.vacancy_slots,
        n.vacancy_causes,
        o.shared_skills,
        o.shared_slots,
        o.shared_causes
    from reach as w
    inner join needs as n on w.vacancy_uid = n.vacancy_uid
    left join overlap as o on w.vacancy_uid = o.vacancy_uid and w.person_key = o.person_key
    where n.needed_skills = 0 or o.shared_skills > 0
)

select
    w.vacancy_uid,
    w.person_key,
    w.volunteer_ref,
    w.distance_km,
    w.max_travel_km,
    cast(w.needed_skills as integer) as needed_skills,
    cast(coalesce(w.shared_skills, 0) as integer) as shared_skills,
    cast(w.vacancy_slots as integer) as vacancy_slots,
    cast(coalesce(w.shared_slots, 0) as integer) as shared_slots,
    cast(w.vacancy_causes as integer) as vacancy_causes,
    cast(coalesce(w.shared_causes, 0) as integer) as shared_causes
from within_reach as w
