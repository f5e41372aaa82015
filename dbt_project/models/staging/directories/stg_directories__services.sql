-- One row per service per partner directory.
select
    _source || ':' || service_id as service_key,
    _source as directory,
    service_id,
    trim(service_name) as service_name,
    description,
    lower(trim(status)) as status,
    nullif(trim(service_url), '') as service_url,
    lower(nullif(trim(service_email), '')) as service_email,
    organization_id,
    trim(organization_name) as organization_name,
    nullif(trim(organization_website), '') as organization_website,
    {{ to_timestamp('last_modified') }} as last_modified,
    api_version
from {{ source('raw', 'directory_services') }}
