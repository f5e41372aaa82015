-- Where to recruit: per ward and per local authority, open roles, how many have at least one suitable
-- volunteer, the share with none, and volunteers registered (people, living there).
-- Registered volunteers are people ("volunteers living here": int_volunteer_residence_cells, the same
-- definition as area_profiles): published with cell-key perturbation (macros/disclosure.sql, rule
-- cell_key_perturbation in config/disclosure_policy.yml), so no published value is 1 or 2 and neither a
-- one-person change between publications nor a ward minus its LSOAs (or an authority minus its wards)
-- reveals anyone. Vacancy counts are roles, not people, and are exact.
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
    select area_level, area_code, volunteers, cell_key
    from {{ ref('int_volunteer_residence_cells') }}
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
        coalesce(r.matched_vacancies, 0) as matched_vacancies
    from wards as w
    left join roles as r on w.ward_code = r.ward_code
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
        sum(matched_vacancies) as matched_vacancies
    from ward_rows
    group by lad_code, lad_name
),

all_rows as (
    select a.*, coalesce(p.volunteers, 0) as volunteers, coalesce(p.cell_key, 0) as cell_key
    from (
        select * from ward_rows
        union all
        select * from authority_rows
    ) as a
    left join people as p on a.area_level = p.area_level and a.area_code = p.area_code
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
    {{ volunteer_count('volunteers', 'cell_key') }} as registered_volunteers
from all_rows
