-- Per ward and canonical category: active services located in the ward per 1,000 residents, the ward's
-- deprivation, the distance to the nearest active service of the category, and a gap flag where a
-- high-need ward has few or none (definitions in service_coverage.yml).
with lsoa_population as (
    select lsoa_code, sum(population) as population
    from {{ ref('stg_census__population_age_sex') }}
    group by lsoa_code
),

lsoas as (
    select
        l.lsoa_code, l.ward_code, l.ward_name, l.lad_code, l.lad_name, l.latitude, l.longitude,
        coalesce(p.population, 0) as population,
        d.imd_decile
    from {{ ref('stg_ons__lsoas') }} as l
    left join lsoa_population as p on l.lsoa_code = p.lsoa_code
    left join {{ ref('stg_imd__deprivation') }} as d on l.lsoa_code = d.lsoa_code
),

wards as (
    select
        ward_code,
        max(ward_name) as ward_name,
        max(lad_code) as lad_code,
        max(lad_name) as lad_name,
        count(*) as lsoas,
        sum(population) as population,
        sum(case when imd_decile is not null then imd_decile * population end)
            / nullif(sum(case when imd_decile is not null then population end), 0) as imd_decile_mean,
        -- population-weighted centroid (plain mean where nobody is counted), summed as decimals so that
        -- parallel aggregation gives the same last digit every run
        cast(coalesce(
            sum(cast(latitude as decimal(10, 6)) * population) / nullif(sum(population), 0),
            avg(cast(latitude as decimal(10, 6)))
        ) as double) as latitude,
        cast(coalesce(
            sum(cast(longitude as decimal(10, 6)) * population) / nullif(sum(population), 0),
            avg(cast(longitude as decimal(10, 6)))
        ) as double) as longitude
    from lsoas
    group by ward_code
),

services as (
    select canonical_service_id, category_code, ward_code, status, latitude, longitude
    from {{ ref('service_map') }}
    where category_code is not null
),

in_ward as (
    select
        ward_code,
        category_code,
        count(*) as services_listed,
        sum(case when status = 'active' then 1 else 0 end) as services_active
    from services
    where ward_code is not null
    group by ward_code, category_code
),

area_rate as (
    select
        t.category_code,
        1000.0 * coalesce(sum(i.services_active), 0) / nullif((select sum(population) from wards), 0)
            as services_per_1000_area
    from {{ ref('service_taxonomy') }} as t
    left join in_ward as i on t.category_code = i.category_code
    group by t.category_code
),

nearest as (
    -- a bounding box (0.15° latitude ≈ 16.7 km; 0.25° longitude ≈ 17 km at 52°N) keeps the join small
    select
        w.ward_code,
        s.category_code,
        min({{ haversine_km('w.latitude', 'w.longitude', 's.latitude', 's.longitude') }}) as km
    from wards as w
    inner join services as s
        on s.status = 'active'
        and s.latitude between w.latitude - 0.15 and w.latitude + 0.15
        and s.longitude between w.longitude - 0.25 and w.longitude + 0.25
    group by w.ward_code, s.category_code
),

grid as (
    select
        w.*,
        t.category_code,
        t.category_label,
        coalesce(i.services_listed, 0) as services_listed,
        coalesce(i.services_active, 0) as services_active,
        r.services_per_1000_area,
        case when n.km <= {{ var('service_nearby_km') }} then n.km end as nearest_active_km,
        cast(round(w.imd_decile_mean) as bigint) as imd_decile
    from wards as w
    cross join {{ ref('service_taxonomy') }} as t
    left join in_ward as i on w.ward_code = i.ward_code and t.category_code = i.category_code
    left join area_rate as r on t.category_code = r.category_code
    left join nearest as n on w.ward_code = n.ward_code and t.category_code = n.category_code
),

measured as (
    select
        *,
        1000.0 * services_active / nullif(population, 0) as services_per_1000,
        (imd_decile <= {{ var('service_gap_max_imd_decile') }}
            and population >= {{ var('service_gap_min_population') }}) as high_need
    from grid
)

select
    ward_code,
    ward_name,
    lad_code,
    lad_name,
    category_code,
    category_label,
    cast(population as bigint) as population,
    cast(lsoas as bigint) as lsoas,
    imd_decile,
    cast(round(imd_decile_mean, 2) as double) as imd_decile_mean,
    cast(services_listed as bigint) as services_listed,
    cast(services_active as bigint) as services_active,
    cast(round(services_per_1000, 4) as double) as services_per_1000,
    cast(round(services_per_1000_area, 4) as double) as services_per_1000_area,
    cast(round(services_per_1000 / nullif(services_per_1000_area, 0), 3) as double) as provision_ratio,
    cast(round(nearest_active_km, 2) as double) as nearest_active_km,
    coalesce(high_need, false) as high_need,
    (
        coalesce(high_need, false)
        and coalesce(services_per_1000 / nullif(services_per_1000_area, 0), 0)
            < {{ var('service_gap_max_provision_ratio') }}
    ) as gap_flag
from measured
