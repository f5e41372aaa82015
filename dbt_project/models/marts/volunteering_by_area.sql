-- Where to recruit: per ward and per local authority, open roles, how many have at least one suitable
-- volunteer, the share with none, and volunteers registered (people, living there).
-- Registered volunteers are people: counts 1–9 are suppressed (NULL), and where exactly one area
-- under a parent (the authority for wards, the whole partnership for authorities) is suppressed, the
-- next smallest non-zero one is suppressed too, so the parent's total cannot reveal it.
with wards as (
    select distinct ward_code, ward_name, lad_code, lad_name
    from {{ ref('stg_ons__lsoas') }}
),

matched_roles as (
    select distinct vacancy_uid from {{ ref('int_volunteer_match_scores') }}
),

roles as (
    select
        d.ward_code,
        count(*) as open_vacancies,
        sum(case when m.vacancy_uid is not null then 1 else 0 end) as matched_vacancies
    from {{ ref('int_vacancies_deduplicated') }} as d
    left join matched_roles as m on d.vacancy_uid = m.vacancy_uid
    where d.ward_code is not null
    group by d.ward_code
),

people as (
    select ward_code, count(*) as volunteers
    from {{ ref('int_volunteer_profiles') }}
    where ward_code is not null
    group by ward_code
),

ward_rows as (
    select
        'ward' as area_level,
        w.ward_code as area_code,
        w.ward_name as area_name,
        w.lad_code as parent_code,
        w.lad_code,
        w.lad_name,
        coalesce(r.open_vacancies, 0) as open_vacancies,
        coalesce(r.matched_vacancies, 0) as matched_vacancies,
        coalesce(p.volunteers, 0) as volunteers
    from wards as w
    left join roles as r on w.ward_code = r.ward_code
    left join people as p on w.ward_code = p.ward_code
),

authority_rows as (
    select
        'lad' as area_level,
        lad_code as area_code,
        lad_name as area_name,
        'all' as parent_code,
        lad_code,
        lad_name,
        sum(open_vacancies) as open_vacancies,
        sum(matched_vacancies) as matched_vacancies,
        sum(volunteers) as volunteers
    from ward_rows
    group by lad_code, lad_name
),

all_rows as (
    select * from ward_rows
    union all
    select * from authority_rows
),

flagged as (
    select
        *,
        case when volunteers between 1 and 9 then 1 else 0 end as primary_suppressed,
        case when volunteers >= 10 then 1 else 0 end as can_hide
    from all_rows
),

ordered as (
    select
        *,
        sum(primary_suppressed) over (partition by area_level, parent_code) as suppressed_siblings,
        row_number() over (partition by area_level, parent_code, can_hide order by volunteers, area_code)
            as smallest_first
    from flagged
)

select
    area_level,
    area_code,
    area_name,
    lad_code,
    lad_name,
    cast(open_vacancies as bigint) as open_vacancies,
    cast(matched_vacancies as bigint) as matched_vacancies,
    cast(open_vacancies - matched_vacancies as bigint) as unmatched_vacancies,
    case when open_vacancies > 0
        then {{ round_to('100.0 * (open_vacancies - matched_vacancies) / open_vacancies', 1) }} end
        as pct_vacancies_unmatched,
    case
        when suppressed_siblings = 1 and can_hide = 1 and smallest_first = 1 then cast(null as bigint)
        else {{ suppress_small('volunteers') }}
    end as registered_volunteers
from ordered
