-- Skill-bank registrations, pseudonymised at ingest.
select
    _source || ':' || volunteer_id as volunteer_key,
    _source as bureau_feed,
    volunteer_id,
    first_name_hash,
    surname_hash,
    email_hash,
    dob_hash,
    postcode_hash,
    postcode_status,
    nullif(lsoa_code, '') as lsoa_code,
    nullif(age_band_code, '') as age_band_code,
    {{ to_double('max_travel_km') }} as max_travel_km,
    {{ to_timestamp('registered_at') }} as registered_at
from {{ source('raw', 'bureau_volunteers') }}
