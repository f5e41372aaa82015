-- Index of Multiple Deprivation by LSOA (rank 1 = most deprived in England).
select
    upper(trim(lsoa_code)) as lsoa_code,
    {{ to_int('imd_rank') }} as imd_rank,
    {{ to_int('imd_decile') }} as imd_decile
from {{ source('raw', 'imd') }}
