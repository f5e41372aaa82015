-- For each open role, the top volunteers (volunteer_matches_per_vacancy(), default 5) by score, with
-- the parts of the score and a readable reason. Volunteers appear only by volunteer_ref (a pseudonym):
-- no names, contact details, postcodes, dates of birth or home areas. Rules: int_volunteer_match_scores.
select
    s.vacancy_uid,
    d.title as vacancy_title,
    s.match_rank,
    s.volunteer_ref,
    s.score,
    s.skills_score,
    s.availability_score,
    s.proximity_score,
    s.cause_score,
    {{ round_to('s.distance_km', 2) }} as distance_km,
    s.max_travel_km,
    s.shared_skills,
    s.shared_slots,
    s.reasons
from {{ ref('int_volunteer_match_scores') }} as s
inner join {{ ref('int_vacancies_deduplicated') }} as d on s.vacancy_uid = d.vacancy_uid
where s.match_rank <= {{ volunteer_matches_per_vacancy() }}
