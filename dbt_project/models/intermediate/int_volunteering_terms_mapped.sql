-- Every distinct skill and cause wording the bureaus use (in RPDE and VDS vacancies and in the skill bank), normalised
-- and mapped onto the taxonomies; term_code is NULL for a wording the taxonomy does not know yet.
with used as (
    select attribute as term_kind, attribute_value as term_text, 1 as in_vacancy, 0 as in_skill_bank
    from {{ ref('int_vacancy_advert_attributes') }}
    where attribute in ('skill', 'cause')
    union all
    select attribute, attribute_value, 0, 1
    from {{ ref('stg_bureaus__volunteer_attributes') }}
    where attribute in ('skill', 'cause')
),

terms as (
    select
        term_kind,
        term_text,
        {{ normalise_term('term_text') }} as term_normalised,
        sum(in_vacancy) as vacancy_uses,
        sum(in_skill_bank) as skill_bank_uses
    from used
    where term_text is not null and term_text <> ''
    group by term_kind, term_text
)

select
    t.term_kind,
    t.term_text,
    t.term_normalised,
    l.term_code,
    l.term_name,
    cast(t.vacancy_uses as bigint) as vacancy_uses,
    cast(t.skill_bank_uses as bigint) as skill_bank_uses
from terms as t
left join {{ ref('int_volunteering_term_lookup') }} as l
    on t.term_kind = l.term_kind and t.term_normalised = l.term_normalised
