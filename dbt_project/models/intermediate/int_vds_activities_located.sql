-- Each VDS activity placed in an LSOA. First choice: the first of its locations whose address holds a
-- postcode known to the ONS lookup (as RPDE vacancies are placed). Otherwise: its first location with
-- coordinates, in the LSOA of the nearest live postcode no more than var vds_nearest_postcode_max_km away.
-- Otherwise the activity is unplaced and unplaced_reason says why (it is still listed, like an RPDE
-- vacancy whose postcode is unknown; it cannot be matched to volunteers or counted in an area).
with postcoded as (
    select
        l.vacancy_key,
        l.postcode,
        l.postcode_key,
        pc.lsoa_code,
        row_number() over (
            partition by l.vacancy_key order by (pc.lsoa_code is null), l.location_no
        ) as pick
    from {{ ref('stg_vds__activity_locations') }} as l
    left join {{ ref('stg_ons__postcodes') }} as pc on l.postcode_key = pc.postcode_key
    where l.postcode_key is not null
),

first_postcode as (
    select vacancy_key, postcode, postcode_key, lsoa_code
    from postcoded
    where pick = 1
),

first_point as (
    select vacancy_key, latitude, longitude
    from (
        select
            vacancy_key, latitude, longitude,
            row_number() over (partition by vacancy_key order by location_no) as pick
        from {{ ref('stg_vds__activity_locations') }}
        where latitude is not null
    ) as p
    where pick = 1
),

-- nearest live postcode to each point that needs it, searched in a box around the point first
-- (1° of latitude ≥ 110 km; 1° of longitude ≥ 50 km up to 63° N)
near as (
    select
        p.vacancy_key,
        pc.lsoa_code,
        {{ haversine_km('p.latitude', 'p.longitude', 'pc.latitude', 'pc.longitude') }} as distance_km
    from first_point as p
    left join first_postcode as f on p.vacancy_key = f.vacancy_key
    inner join {{ ref('stg_ons__postcodes') }} as pc
        on pc.latitude between p.latitude - {{ var('vds_nearest_postcode_max_km') }} / 110.0
                           and p.latitude + {{ var('vds_nearest_postcode_max_km') }} / 110.0
        and pc.longitude between p.longitude - {{ var('vds_nearest_postcode_max_km') }} / 50.0
                             and p.longitude + {{ var('vds_nearest_postcode_max_km') }} / 50.0
    where f.lsoa_code is null
      and not pc.is_terminated
      and pc.lsoa_code is not null
),

nearest as (
    select vacancy_key, lsoa_code, distance_km
    from (
        select *, row_number() over (partition by vacancy_key order by distance_km, lsoa_code) as pick
        from near
        where distance_km <= {{ var('vds_nearest_postcode_max_km') }}
    ) as n
    where pick = 1
),

location_counts as (
    select vacancy_key, count(*) as locations
    from {{ ref('stg_vds__activity_locations') }}
    group by vacancy_key
)

select
    a.vacancy_key,
    a.bureau_feed,
    a.activity_id,
    f.postcode,
    f.postcode_key,
    p.latitude,
    p.longitude,
    coalesce(f.lsoa_code, n.lsoa_code) as lsoa_code,
    case
        when f.lsoa_code is not null then 'postcode'
        when n.lsoa_code is not null then 'coordinates'
    end as located_by,
    case when f.lsoa_code is null then n.distance_km end as nearest_postcode_km,
    case
        when f.lsoa_code is not null or n.lsoa_code is not null then null
        when coalesce(c.locations, 0) = 0 then 'no location'
        when f.postcode_key is null and p.latitude is null then 'no postcode in the address and no coordinates'
        when p.latitude is null then 'postcode not in the ONS lookup, no coordinates'
        else 'coordinates more than {{ var("vds_nearest_postcode_max_km") }} km from any live postcode in the ONS lookup'
    end as unplaced_reason
from {{ ref('stg_vds__activities') }} as a
left join first_postcode as f on a.vacancy_key = f.vacancy_key
left join first_point as p on a.vacancy_key = p.vacancy_key
left join nearest as n on a.vacancy_key = n.vacancy_key
left join location_counts as c on a.vacancy_key = c.vacancy_key
