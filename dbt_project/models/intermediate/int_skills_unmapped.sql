-- Skill and cause wordings that no taxonomy entry covers, most used first: add them to
-- seeds/volunteering/skill_synonyms.csv (or cause_synonyms.csv). Until then they do not count in matching.
select
    term_kind,
    term_text,
    term_normalised,
    vacancy_uses,
    skill_bank_uses,
    vacancy_uses + skill_bank_uses as total_uses
from {{ ref('int_volunteering_terms_mapped') }}
where term_code is null
