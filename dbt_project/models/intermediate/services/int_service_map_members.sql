-- Each source service-at-location with its canonical service and the ranks that choose what the
-- canonical service shows (survivorship):
--   name: the shortest display name (int_service_at_locations.service_name_display), one that needed
--         no tidying first, then A–Z;
--   organisation, phone, e-mail, web domain, category: the most common value, then the shortest, then A–Z;
--   status: a status other than 'active' wins (stale listings keep saying active longest), the most
--   recently modified such listing first; place: the member with a postcode that the lookup knows.
with members as (
    select
        r.*,
        c.canonical_service_id,
        c.service_group_id,
        c.cluster_size,
        c.match_probability
    from {{ ref('int_service_at_locations') }} as r
    inner join {{ ref('int_service_clusters') }} as c
        on r.source_record_key = c.source_record_key
),

value_counts as (
    {%- for column in ['organisation_name', 'phone', 'email', 'web_domain', 'category_code'] %}
    select canonical_service_id, '{{ column }}' as field, {{ column }} as value, count(*) as n
    from members
    where {{ column }} is not null
    group by canonical_service_id, {{ column }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

ranked_values as (
    select
        canonical_service_id,
        field,
        value,
        row_number() over (
            partition by canonical_service_id, field order by n desc, length(value), value
        ) as value_rank
    from value_counts
),

canonical_values as (
    select
        canonical_service_id,
        max(case when field = 'organisation_name' then value end) as canonical_organisation_name,
        max(case when field = 'phone' then value end) as canonical_phone,
        max(case when field = 'email' then value end) as canonical_email,
        max(case when field = 'web_domain' then value end) as canonical_web_domain,
        max(case when field = 'category_code' then value end) as canonical_category_code
    from ranked_values
    where value_rank = 1
    group by canonical_service_id
)

select
    m.*,
    row_number() over (
        partition by m.canonical_service_id
        order by
            length(m.service_name_display),
            case when m.service_name_display <> m.service_name then 1 else 0 end,
            m.service_name_display,
            m.source_record_key
    ) as name_rank,
    row_number() over (
        partition by m.canonical_service_id
        order by
            case when m.status = 'active' then 1 else 0 end,
            m.last_modified desc nulls last,
            case m.status when 'defunct' then 1 when 'inactive' then 2 when 'temporarily closed' then 3 else 4 end,
            m.source_record_key
    ) as status_rank,
    row_number() over (
        partition by m.canonical_service_id
        order by
            case m.postcode_status when 'live' then 1 when 'terminated' then 2 when 'unknown' then 3 else 4 end,
            m.source_record_key
    ) as place_rank,
    cv.canonical_organisation_name,
    cv.canonical_phone,
    cv.canonical_email,
    cv.canonical_web_domain,
    cv.canonical_category_code
from members as m
left join canonical_values as cv
    on m.canonical_service_id = cv.canonical_service_id
