-- Audit of the published vacancy list (checked by the GX suite, never published): every advert behind
-- each listed role (RPDE or VDS), re-read from int_vacancy_adverts, with whether it is deleted or past
-- its closing date on the as-of date. The gate fails if a deleted or expired advert (or role) reaches
-- the published list.
select
    m.vacancy_uid,
    l.vacancy_key,
    s.is_deleted as advert_deleted,
    s.closing_date as advert_closing_date,
    m.closing_date as role_closing_date,
    {{ as_of_date() }} as as_of_date,
    (s.closing_date is not null and s.closing_date < {{ as_of_date() }}) as advert_expired,
    (m.closing_date is not null and m.closing_date < {{ as_of_date() }}) as role_expired
from {{ ref('volunteer_vacancies') }} as m
left join {{ ref('int_vacancy_lineage') }} as l on m.vacancy_uid = l.vacancy_uid
left join {{ ref('int_vacancy_adverts') }} as s on l.vacancy_key = s.vacancy_key
