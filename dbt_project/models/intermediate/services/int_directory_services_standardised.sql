-- One row per directory service with its names, contacts and web domains standardised for matching.
with first_phone as (
    select
        service_key,
        {{ uk_phone('phone_number') }} as phone,
        row_number() over (partition by service_key order by phone_position) as phone_rank
    from {{ ref('stg_directories__phones') }}
    where {{ uk_phone('phone_number') }} is not null
),

services as (
    select
        *,
        {{ clean_text('service_name') }} as service_name_clean,
        {{ clean_text('organization_name') }} as organisation_text,
        {{ clean_organisation('organization_name') }} as organisation_clean
    from {{ ref('stg_directories__services') }}
)

select
    s.service_key,
    s.directory,
    s.service_id,
    s.service_name,
    s.service_name_clean,
    -- the service's own words: the organisation's name taken out ("Age UK Shire – Lunch Club" → "lunch club")
    coalesce(
        nullif(trim({{ regexp_replace_all(
            "replace(replace(' ' || s.service_name_clean || ' ', ' ' || s.organisation_text || ' ', ' '), "
            ~ "' ' || s.organisation_clean || ' ', ' ')", "\\s+", " ") }}), ''),
        s.service_name_clean
    ) as service_name_core,
    s.organization_id as organisation_id,
    s.organization_name as organisation_name,
    s.organisation_clean,
    s.description,
    s.status,
    s.service_email as email,
    {{ email_domain('s.service_email') }} as email_domain,
    -- a role mailbox (info@, enquiries@ …) names the organisation, not the service: no service evidence
    case
        when split_part(s.service_email, '@', 1) not in ({{ "'" ~ var('role_mailboxes') | join("', '") ~ "'" }})
            then s.service_email
    end as service_email_key,
    s.service_url,
    s.organization_website as organisation_website,
    coalesce({{ web_domain('s.organization_website') }}, {{ web_domain('s.service_url') }}) as web_domain,
    p.phone,
    s.last_modified,
    s.api_version
from services as s
left join first_phone as p
    on s.service_key = p.service_key
    and p.phone_rank = 1
