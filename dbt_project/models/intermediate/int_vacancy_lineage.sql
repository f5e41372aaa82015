-- Which open adverts are the same role: one row per open advert with the deduplicated vacancy_uid.
--
-- Adverts come from every source format (RPDE feeds and Volunteering Data Standard snapshots, whose postcode
-- is the one written in the address and whose slots come from session times): the rule is the same.
-- Rule (deterministic): two adverts from different bureau feeds are one role when they agree on the
-- normalised organisation name, the postcode, the start date and the set of availability slots. The
-- title is deliberately NOT in the key: bureaus reword titles ("Volunteer Driver" / "Driver – Hospital
-- Appointments"), and on the demo a title-based key finds only ~63 % of cross-posted roles; hours
-- (rounded differently) and closing dates (extended at one bureau only) drift too. Within one feed
-- adverts are never merged: if a feed has two adverts with the same key, they pair with the other
-- feed's in id order (copy_no). An advert without an organisation name is never merged.
-- Precision/recall against the demo ground truth: tests/test_volunteer_vacancies.py.
with slots as (
    select
        vacancy_key,
        {{ dbt.listagg('slot', "','", "order by slot") }} as availability_signature
    from (
        select distinct vacancy_key, lower(attribute_value) as slot
        from {{ ref('int_vacancy_advert_attributes') }}
        where attribute = 'availability'
    ) as s
    group by vacancy_key
),

keyed as (
    select
        v.vacancy_key,
        v.bureau_feed,
        v.vacancy_id,
        case
            when {{ normalise_term('v.organisation_name') }} is null then v.vacancy_key
            else {{ normalise_term('v.organisation_name') }}
                || '|' || coalesce(v.postcode_key, '')
                || '|' || coalesce(cast(v.start_date as varchar), '')
                || '|' || coalesce(s.availability_signature, '')
        end as dedupe_key
    from {{ ref('int_vacancies_filtered') }} as v
    left join slots as s on v.vacancy_key = s.vacancy_key
),

numbered as (
    select
        *,
        row_number() over (partition by dedupe_key, bureau_feed order by vacancy_id) as copy_no
    from keyed
)

select
    'VAC-' || substr({{ dbt.hash("dedupe_key || '#' || cast(copy_no as varchar)") }}, 1, 12) as vacancy_uid,
    vacancy_key,
    bureau_feed,
    vacancy_id,
    dedupe_key,
    cast(copy_no as integer) as copy_no
from numbered
