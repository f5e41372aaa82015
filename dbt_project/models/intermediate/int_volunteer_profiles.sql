-- One row per person in the skill bank. Where they live (LSOA) and how far they will travel come from
-- their most recent registration that has a known LSOA (else their most recent one).
with regs as (
    select
        l.person_key,
        l.volunteer_ref,
        l.registrations,
        v.volunteer_key,
        v.bureau_feed,
        v.lsoa_code,
        v.max_travel_km,
        v.registered_at,
        row_number() over (
            partition by l.person_key
            order by case when v.lsoa_code is null then 1 else 0 end, v.registered_at desc, v.volunteer_key
        ) as preference
    from {{ ref('int_volunteers_linked') }} as l
    inner join {{ ref('stg_bureaus__volunteers') }} as v on l.volunteer_key = v.volunteer_key
),

feeds as (
    select person_key, {{ dbt.listagg('bureau_feed', "', '", "order by bureau_feed") }} as bureau_feeds
    from regs
    group by person_key
)

select
    r.person_key,
    r.volunteer_ref,
    r.registrations,
    f.bureau_feeds,
    r.lsoa_code,
    lsoa.ward_code,
    lsoa.lad_code,
    lsoa.latitude,
    lsoa.longitude,
    r.max_travel_km,
    r.registered_at as latest_registered_at
from regs as r
inner join feeds as f on r.person_key = f.person_key
left join {{ ref('stg_ons__lsoas') }} as lsoa on r.lsoa_code = lsoa.lsoa_code
where r.preference = 1
