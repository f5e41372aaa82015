-- What each person offers, in canonical terms (union over their registrations): skills and preferred
-- causes mapped onto the taxonomies, and availability slots. Interests are free text and not used.
with terms as (
    select
        l.person_key,
        a.attribute,
        case when a.attribute = 'availability' then lower(a.attribute_value) else m.term_code end as term_code,
        case when a.attribute = 'availability' then replace(lower(a.attribute_value), '_', ' ')
             else m.term_name end as term_name
    from {{ ref('int_volunteers_linked') }} as l
    inner join {{ ref('stg_bureaus__volunteer_attributes') }} as a on l.volunteer_key = a.volunteer_key
    left join {{ ref('int_volunteering_terms_mapped') }} as m
        on a.attribute = m.term_kind and a.attribute_value = m.term_text
    where a.attribute in ('skill', 'cause', 'availability')
)

select distinct person_key, attribute, term_code, term_name
from terms
where term_code is not null
