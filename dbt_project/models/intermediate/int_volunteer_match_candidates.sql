-- Every (open role, person) pair worth scoring: the person offers at least one skill the role needs (or
-- the role names none) and lives within their own travel limit of it — distance between LSOA
-- centroids (haversine), the role located by its postcode's LSOA. Overlaps are counted here; the
-- eligibility rules and the score are applied in int_volunteer_match_scores.
with roles as (
    select d.vacancy_uid, lsoa.latitude, lsoa.longitude
    from {{ ref('int_vacancies_deduplicated') }} as d
    inner join {{ ref('stg_ons__lsoas') }} as lsoa on d.lsoa_code = lsoa.lsoa_code
),

people as (
    select
        person_key,
        volunteer_ref,
        max_travel_km,
        latitude,
        longitude,
        -- a cheap band (1° of latitude ≥ 110.5 km) so the distance is only computed near the person
        latitude - max_travel_km / 110.0 as lat_min,
        latitude + max_travel_km / 110.0 as lat_max
    from {{ ref('int_volunteer_profiles') }}
    where latitude is not null and max_travel_km is not null and max_travel_km >= 0
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

skill_pairs as (
    select distinct q.vacancy_uid, o.person_key
    from {{ ref('int_vacancy_requirements') }} as q
    inner join {{ ref('int_volunteer_offers') }} as o
        on q.attribute = 'skill' and o.attribute = 'skill' and q.term_code = o.term_code
),

any_skill_pairs as (
    select n.vacancy_uid, p.person_key
    from needs as n
    inner join roles as r on n.vacancy_uid = r.vacancy_uid
    inner join people as p on r.latitude between p.lat_min and p.lat_max
    where n.needed_skills = 0
),

pairs as (
    select vacancy_uid, person_key from skill_pairs
    union
    select vacancy_uid, person_key from any_skill_pairs
),

located as (
    select
        pr.vacancy_uid,
        pr.person_key,
        p.volunteer_ref,
        p.max_travel_km,
        {{ haversine_km('r.latitude', 'r.longitude', 'p.latitude', 'p.longitude') }} as distance_km
    from pairs as pr
    inner join roles as r on pr.vacancy_uid = r.vacancy_uid
    inner join people as p on pr.person_key = p.person_key
    where r.latitude between p.lat_min and p.lat_max
),

within_reach as (
    select * from located where distance_km <= max_travel_km
),

overlap as (
    select
        w.vacancy_uid,
        w.person_key,
        q.attribute,
        count(*) as shared,
        {{ dbt.listagg('q.term_name', "', '", "order by " ~ slot_order('q.term_code') ~ ", q.term_name") }}
            as shared_names
    from within_reach as w
    inner join {{ ref('int_vacancy_requirements') }} as q on w.vacancy_uid = q.vacancy_uid
    inner join {{ ref('int_volunteer_offers') }} as o
        on w.person_key = o.person_key and q.attribute = o.attribute and q.term_code = o.term_code
    group by w.vacancy_uid, w.person_key, q.attribute
)

select
    w.vacancy_uid,
    w.person_key,
    w.volunteer_ref,
    w.distance_km,
    w.max_travel_km,
    cast(n.needed_skills as integer) as needed_skills,
    cast(coalesce(sk.shared, 0) as integer) as shared_skills,
    sk.shared_names as shared_skill_names,
    cast(n.vacancy_slots as integer) as vacancy_slots,
    cast(coalesce(sl.shared, 0) as integer) as shared_slots,
    sl.shared_names as shared_slot_names,
    cast(n.vacancy_causes as integer) as vacancy_causes,
    cast(coalesce(ca.shared, 0) as integer) as shared_causes,
    ca.shared_names as shared_cause_names
from within_reach as w
inner join needs as n on w.vacancy_uid = n.vacancy_uid
left join overlap as sk on w.vacancy_uid = sk.vacancy_uid and w.person_key = sk.person_key and sk.attribute = 'skill'
left join overlap as sl
    on w.vacancy_uid = sl.vacancy_uid and w.person_key = sl.person_key and sl.attribute = 'availability'
left join overlap as ca on w.vacancy_uid = ca.vacancy_uid and w.person_key = ca.person_key and ca.attribute = 'cause'
