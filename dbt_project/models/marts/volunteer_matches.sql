-- For each open role, the top volunteers (volunteer_matches_per_vacancy(), default 5) by score, with
-- the parts of the score and a readable reason. Volunteers appear only by volunteer_ref (a pseudonym):
-- no names, contact details, postcodes, dates of birth or home areas. Rules: int_volunteer_match_scores.
with top as (
    select *
    from {{ ref('int_volunteer_match_scores') }}
    where match_rank <= {{ volunteer_matches_per_vacancy() }}
),

shared as (
    select
        t.vacancy_uid,
        t.person_key,
        {{ dbt.listagg("case when q.attribute = 'skill' then q.term_name end", "', '", "order by q.term_name") }}
            as skill_names,
        {{ dbt.listagg("case when q.attribute = 'availability' then q.term_name end", "', '",
                       "order by " ~ slot_order('q.term_code')) }} as slot_names,
        {{ dbt.listagg("case when q.attribute = 'cause' then q.term_name end", "', '", "order by q.term_name") }}
            as cause_names
    from top as t
    inner join {{ ref('int_vacancy_requirements') }} as q on t.vacancy_uid = q.vacancy_uid
    inner join {{ ref('int_volunteer_offers') }} as o
        on t.person_key = o.person_key and q.attribute = o.attribute and q.term_code = o.term_code
    group by t.vacancy_uid, t.person_key
)

select
    t.vacancy_uid,
    d.title as vacancy_title,
    t.match_rank,
    t.volunteer_ref,
    t.score,
    t.skills_score,
    t.availability_score,
    t.proximity_score,
    t.cause_score,
    {{ round_to('t.distance_km', 2) }} as distance_km,
    t.max_travel_km,
    t.shared_skills,
    t.shared_slots,
    'skills: ' || coalesce(s.skill_names, 'none named')
        || '; ' || cast(t.shared_slots as varchar)
        || case when t.shared_slots = 1 then ' shared slot' else ' shared slots' end
        || case when s.slot_names is not null then ' (' || s.slot_names || ')' else '' end
        || '; ' || cast({{ round_to('t.distance_km', 1) }} as varchar) || ' km (travels up to '
        || cast({{ round_to('t.max_travel_km', 1) }} as varchar) || ' km)'
        || case when s.cause_names is not null then '; causes: ' || s.cause_names else '' end as reasons
from top as t
inner join {{ ref('int_vacancies_deduplicated') }} as d on t.vacancy_uid = d.vacancy_uid
left join shared as s on t.vacancy_uid = s.vacancy_uid and t.person_key = s.person_key
