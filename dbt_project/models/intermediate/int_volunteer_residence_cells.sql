-- "Volunteers living here", the one definition every mart uses (area_profiles per LSOA,
-- volunteering_by_area per ward and authority): people in the skill bank (a person registered with both
-- bureaus once), placed in the LSOA of their most recent registration with a known LSOA
-- (int_volunteer_profiles), counted in that LSOA, its ward and its authority. With the cell key of each
-- count for cell-key perturbation (macros/disclosure.sql): the cell's own record keys plus the register
-- key (the record keys of every volunteer counted, mod 256), so that one added volunteer re-draws every
-- volunteer cell, not only the cells they live in (as the wave key does for surveys, int_survey_wave_keys).
-- Publication cadence: with var volunteer_counts_as_at set to a date (e.g. the first of the month), only
-- people whose first registration is before it are counted, so the counts (and the register key) change
-- once per cut-off, not with every registration (docs/disclosure.md, known limits). Default: everyone.
{%- set as_at = var('volunteer_counts_as_at') %}
with people as (
    select p.volunteer_ref, p.lsoa_code, p.ward_code, p.lad_code, k.record_key
    from {{ ref('int_volunteer_profiles') }} as p
    inner join {{ ref('int_volunteer_record_keys') }} as k on p.volunteer_ref = k.volunteer_ref
    {%- if as_at %}
    inner join (
        select l.person_key, min(v.registered_at) as first_registered_at
        from {{ ref('int_volunteers_linked') }} as l
        inner join {{ ref('stg_bureaus__volunteers') }} as v on l.volunteer_key = v.volunteer_key
        group by l.person_key
    ) as f on p.person_key = f.person_key
    {%- endif %}
    where p.ward_code is not null
    {%- if as_at %}
      and f.first_registered_at < cast('{{ as_at }}' as timestamp)
    {%- endif %}
),

register as (
    select {{ cell_key('record_key') }} as register_key
    from people
),

cells as (
    select 'lsoa' as area_level, lsoa_code as area_code, count(*) as volunteers, sum(record_key) as key_sum
    from people
    group by lsoa_code
    union all
    select 'ward', ward_code, count(*), sum(record_key)
    from people
    group by ward_code
    union all
    select 'lad', lad_code, count(*), sum(record_key)
    from people
    group by lad_code
)

select
    c.area_level,
    c.area_code,
    c.volunteers,
    r.register_key,
    {{ survey_cell_key('c.key_sum', 'r.register_key') }} as cell_key
from cells as c
cross join register as r
