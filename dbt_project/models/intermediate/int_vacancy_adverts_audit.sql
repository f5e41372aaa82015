-- Where every landed advert went (never published): one row per advert of every source — RPDE vacancies
-- and VDS activities — with its outcome: listed in exactly one role of volunteer_vacancies, or excluded
-- with the reason (deleted, expired). Placement is reported beside it: a listed advert may be unplaced
-- (no LSOA, so never matched or counted in an area), with the reason. Activities refused at ingest (no id,
-- no label, a repeated id) are in raw.quarantine, not here; the ledger's received = loaded + quarantined.
with listed as (
    select l.vacancy_key, l.vacancy_uid
    from {{ ref('int_vacancy_lineage') }} as l
    inner join {{ ref('volunteer_vacancies') }} as m on l.vacancy_uid = m.vacancy_uid
)

select
    a.vacancy_key,
    a.bureau_feed,
    a.source_format,
    a.vacancy_id,
    a.title,
    case when li.vacancy_uid is not null then 'listed' else 'excluded' end as outcome,
    case
        when li.vacancy_uid is not null then null
        when a.is_deleted then 'deleted'
        when a.closing_date < {{ as_of_date() }} then 'expired'
        else 'not listed (unexplained)'
    end as exclusion_reason,
    li.vacancy_uid,
    a.closing_date,
    a.lsoa_code,
    a.located_by,
    a.unplaced_reason,
    {{ as_of_date() }} as as_of_date
from {{ ref('int_vacancy_adverts') }} as a
left join listed as li on a.vacancy_key = li.vacancy_key
