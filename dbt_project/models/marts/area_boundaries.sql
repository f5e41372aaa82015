-- One row per LSOA of the lookup with its boundary polygon (NULL geometry when the feed lacks it),
-- ward and local authority, so maps can draw LSOAs, wards (their LSOAs) and authorities offline.
with lsoas as (
    select * from {{ ref('stg_ons__lsoas') }}
),

boundaries as (
    select * from {{ ref('stg_ons__boundaries') }}
),

postcode_districts as (
    select
        lsoa_code,
        string_agg(distinct split_part(postcode, ' ', 1), ', ' order by split_part(postcode, ' ', 1))
            as postcode_districts
    from {{ ref('stg_ons__postcodes') }}
    where not is_terminated and postcode like '% %'
    group by lsoa_code
)

select
    lsoas.lsoa_code,
    lsoas.lsoa_name,
    lsoas.ward_code,
    lsoas.ward_name,
    lsoas.lad_code,
    lsoas.lad_name,
    lsoas.latitude,
    lsoas.longitude,
    boundaries.geometry_type,
    boundaries.geometry,
    boundaries.min_lon,
    boundaries.min_lat,
    boundaries.max_lon,
    boundaries.max_lat,
    boundaries.geometry is not null as has_boundary,
    postcode_districts.postcode_districts
from lsoas
left join boundaries on boundaries.lsoa_code = lsoas.lsoa_code
left join postcode_districts on postcode_districts.lsoa_code = lsoas.lsoa_code
