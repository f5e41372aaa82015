-- One row per survey response; identity only as keyed hashes.
select
    survey_id || ':' || response_id as response_key,
    survey_id,
    response_id,
    {{ to_timestamp('submitted_at') }} as submitted_at,
    email_hash,
    surname_hash,
    dob_hash,
    postcode_hash,
    postcode_status,
    nullif(lsoa_code, '') as lsoa_code,
    nullif(age_band_code, '') as age_band_code
from {{ source('raw', 'survey_respondents') }}
