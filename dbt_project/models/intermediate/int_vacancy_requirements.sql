-- What each open role asks for, in canonical terms: skills and causes mapped onto the taxonomies
-- (union over the role's adverts), and availability slots. Unmapped wordings are left out here.
with advert_terms as (
    select
        l.vacancy_uid,
        a.attribute,
        case when a.attribute = 'availability' then lower(a.attribute_value) else m.term_code end as term_code,
        case when a.attribute = 'availability' then replace(lower(a.attribute_value), '_', ' ')
             else m.term_name end as term_name
    from {{ ref('int_vacancy_lineage') }} as l
    inner join {{ ref('int_vacancy_advert_attributes') }} as a on l.vacancy_key = a.vacancy_key
    left join {{ ref('int_volunteering_terms_mapped') }} as m
        on a.attribute = m.term_kind and a.attribute_value = m.term_text
)

select distinct vacancy_uid, attribute, term_code, term_name
from advert_terms
where term_code is not null
