-- How every agency question and response code is harmonised to the question bank, and what still
-- needs a mapping. Counts are not published here (consultation_summary has them, suppressed).
with published_measures as (
    select distinct measure_id
    from {{ ref('quality_of_life') }}
)

select
    c.survey_id,
    c.agency,
    c.period,
    c.question_id,
    cast(c.question_position as bigint) as question_position,
    c.question_text,
    c.question_type,
    c.agency_code,
    c.agency_label,
    cast(c.code_order as bigint) as code_order,
    c.harmonisation_status,
    c.measure_id,
    m.domain as measure_domain,
    c.canonical_code,
    c.canonical_label,
    c.valence,
    c.reason,
    c.answers > 0 as carries_data,
    (c.harmonisation_status in ('unmapped_question', 'unmapped_response') and c.answers > 0) as needs_mapping,
    case
        when c.harmonisation_status = 'mapped' and m.domain = 'quality_of_life'
            then pm.measure_id is not null
    end as measure_in_quality_of_life
from {{ ref('int_survey_question_codes') }} as c
left join {{ ref('question_bank_measures') }} as m on c.measure_id = m.measure_id
left join published_measures as pm on c.measure_id = pm.measure_id
