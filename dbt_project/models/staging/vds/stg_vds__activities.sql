-- Volunteering Data Standard activities as landed (one row per activity per VDS source), typed: the title
-- as one line, the organisation's name when the document names it, the span of the sessions' times.
select
    _source || ':' || activity_id as vacancy_key,
    _source as bureau_feed,
    activity_id,
    nullif(trim(regexp_replace(title, '\s+', ' ', 'g')), '') as title,
    nullif(trim(organisation_id), '') as organisation_id,
    nullif(trim(organisation_name), '') as organisation_name,
    nullif(trim(description), '') as description,
    nullif(trim(apply_url), '') as url,
    coalesce(lower(trim(remote)) in ('true', '1', 'yes'), false) as allows_remote,
    {{ to_date('start_date') }} as start_date,
    {{ to_date('end_date') }} as end_date,
    cast(_fetched_at as timestamp with time zone) as fetched_at
from {{ source('raw', 'vds_activities') }}
