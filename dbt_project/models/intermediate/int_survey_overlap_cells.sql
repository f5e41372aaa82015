-- Private, unsuppressed duplicate-surveying figures per area × period × canonical measure (the
-- partnership as a whole, each local authority plus residents with no known area, each ward), with a
-- survey cell key for each count of people (macros/disclosure.sql survey_cell_key). Per area (repeated on
-- each measure's row): residents surveyed and the asks of questions that are not canonical measures, the
-- counts behind survey_overlap.questions_per_resident / canonical_asks_per_resident.
with residents as (
    select
        p.resident_key,
        p.period,
        coalesce(p.lad_code, 'unplaced') as lad_code,
        p.ward_code,
        k.record_key
    from {{ ref('int_survey_residents_profiled') }} as p
    inner join {{ ref('int_survey_resident_record_keys') }} as k on p.resident_key = k.resident_key
),

dedup as (
    select d.*, r.lad_code, r.ward_code, r.record_key
    from {{ ref('int_survey_measures_deduplicated') }} as d
    inner join residents as r on d.resident_key = r.resident_key and d.period = r.period
),

asks as (
    select a.period, a.measure_id, a.agency, r.lad_code, r.ward_code
    from {{ ref('int_survey_measure_asks') }} as a
    inner join residents as r on a.resident_key = r.resident_key and a.period = r.period
),

question_counts as (
    -- questions of each questionnaire that are not one of its canonical measures (agency-only questions):
    -- all its questions minus the measures it asks, so canonical asks + other asks = questions put
    select q.survey_id, count(*) - coalesce(any_value(m.measures), 0) as other_questions
    from {{ ref('stg_surveys__questions') }} as q
    left join (
        select qm.survey_id, count(distinct qm.measure_id) as measures
        from {{ ref('stg_surveys__question_mappings') }} as qm
        inner join {{ ref('stg_surveys__questions') }} as q2
            on qm.survey_id = q2.survey_id and qm.question_id = q2.question_id
        where qm.mapping_status = 'mapped'
        group by qm.survey_id
    ) as m on q.survey_id = m.survey_id
    group by q.survey_id
),

responses as (
    select r.lad_code, r.ward_code, qn.period, coalesce(qc.other_questions, 0) as other_questions, k.record_key
    from {{ ref('stg_surveys__respondents') }} as s
    inner join {{ ref('int_survey_responses_linked') }} as l on s.response_key = l.response_key
    inner join {{ ref('stg_surveys__questionnaires') }} as qn on s.survey_id = qn.survey_id
    inner join residents as r on l.resident_key = r.resident_key and qn.period = r.period
    inner join {{ ref('int_survey_resident_record_keys') }} as k on l.resident_key = k.resident_key
    left join question_counts as qc on s.survey_id = qc.survey_id
),

dedup_levels as (
    select 'partnership' as area_level, 'all' as area_code, cast(null as varchar) as parent_area_code, * from dedup
    union all
    select 'lad', lad_code, 'all', * from dedup
    union all
    select 'ward', ward_code, lad_code, * from dedup where ward_code is not null
),

measure_cells as (
    select
        area_level,
        area_code,
        parent_area_code,
        period,
        measure_id,
        count(*) as residents_asked,
        sum(case when asks > 1 then 1 else 0 end) as residents_asked_more_than_once,
        sum(asks) as question_asks,
        sum(asks - 1) as duplicate_asks,
        sum(greatest(answers - 1, 0)) as duplicate_answers_removed,
        sum(case when distinct_answers > 1 then 1 else 0 end) as residents_with_conflicting_answers,
        sum(record_key) as key_asked,
        sum(case when asks > 1 then record_key else 0 end) as key_more_than_once,
        sum(case when answers > 1 then record_key else 0 end) as key_duplicate_answers,
        sum(case when distinct_answers > 1 then record_key else 0 end) as key_conflicting
    from dedup_levels
    group by area_level, area_code, parent_area_code, period, measure_id
),

ask_levels as (
    select 'partnership' as area_level, 'all' as area_code, * from asks
    union all
    select 'lad', lad_code, * from asks
    union all
    select 'ward', ward_code, * from asks where ward_code is not null
),

agencies as (
    select area_level, area_code, period, measure_id,
        string_agg(distinct agency, ',' order by agency) as agencies_asking,
        count(distinct agency) as n_agencies_asking
    from ask_levels
    group by area_level, area_code, period, measure_id
),

area_burden as (
    -- per area: residents surveyed and the questions put to them that are not canonical measures (every
    -- agency-only question of every questionnaire they answered), with the record keys of the residents
    -- (once each) and of the asks (a resident's key once per such question) for survey_cell_key; the mart
    -- adds the canonical asks from its published question_asks
    select r.area_level, r.area_code, r.period, r.residents_surveyed, r.key_surveyed,
        coalesce(q.other_question_asks, 0) as other_question_asks, coalesce(q.key_other, 0) as key_other
    from (
        select 'partnership' as area_level, 'all' as area_code, period, count(*) as residents_surveyed,
            sum(record_key) as key_surveyed
        from residents group by period
        union all
        select 'lad', lad_code, period, count(*), sum(record_key) from residents group by lad_code, period
        union all
        select 'ward', ward_code, period, count(*), sum(record_key) from residents where ward_code is not null
        group by ward_code, period
    ) as r
    left join (
        select 'partnership' as area_level, 'all' as area_code, period, sum(other_questions) as other_question_asks,
            sum(other_questions * record_key) as key_other
        from responses group by period
        union all
        select 'lad', lad_code, period, sum(other_questions), sum(other_questions * record_key)
        from responses group by lad_code, period
        union all
        select 'ward', ward_code, period, sum(other_questions), sum(other_questions * record_key)
        from responses where ward_code is not null
        group by ward_code, period
    ) as q on r.area_level = q.area_level and r.area_code = q.area_code and r.period = q.period
),

proposal as (
    -- the proposed single questionnaire: every canonical measure asked in the period, in question-bank
    -- order, with the agencies whose questionnaires ask it
    select
        sm.period,
        sm.measure_id,
        string_agg(distinct sm.agency, ',' order by sm.agency) as agencies_needing,
        count(distinct sm.agency) as n_agencies_needing
    from (
        select distinct qn.period, qm.measure_id, qn.agency
        from {{ ref('stg_surveys__question_mappings') }} as qm
        inner join {{ ref('stg_surveys__questions') }} as q
            on qm.survey_id = q.survey_id and qm.question_id = q.question_id
        inner join {{ ref('stg_surveys__questionnaires') }} as qn on qm.survey_id = qn.survey_id
        where qm.mapping_status = 'mapped'
    ) as sm
    group by sm.period, sm.measure_id
),

proposal_ranked as (
    select
        p.*,
        row_number() over (partition by p.period order by m.measure_order) as proposed_position,
        count(*) over (partition by p.period) as proposed_questions
    from proposal as p
    inner join {{ ref('question_bank_measures') }} as m on p.measure_id = m.measure_id
)

select
    c.area_level,
    c.area_code,
    c.parent_area_code,
    c.period,
    c.measure_id,
    a.agencies_asking,
    a.n_agencies_asking,
    c.residents_asked,
    c.residents_asked_more_than_once,
    c.question_asks,
    c.duplicate_asks,
    c.duplicate_answers_removed,
    c.residents_with_conflicting_answers,
    b.residents_surveyed,
    b.other_question_asks,
    p.proposed_position,
    p.proposed_questions,
    p.agencies_needing,
    p.n_agencies_needing,
    {{ survey_cell_key('c.key_asked', 'wk.wave_key') }} as key_residents_asked,
    {{ survey_cell_key('c.key_more_than_once', 'wk.wave_key') }} as key_residents_asked_more_than_once,
    -- duplicate asks come from the residents asked more than once: their key, offset so the adjustment
    -- differs from that count's
    {{ survey_cell_key('c.key_more_than_once + 128', 'wk.wave_key') }} as key_duplicate_asks,
    {{ survey_cell_key('c.key_duplicate_answers', 'wk.wave_key') }} as key_duplicate_answers_removed,
    {{ survey_cell_key('c.key_conflicting', 'wk.wave_key') }} as key_residents_with_conflicting_answers,
    {{ survey_cell_key('b.key_surveyed', 'wk.wave_key') }} as key_residents_surveyed,
    {{ survey_cell_key('b.key_other', 'wk.wave_key') }} as key_other_question_asks
from measure_cells as c
left join agencies as a
    on c.area_level = a.area_level and c.area_code = a.area_code and c.period = a.period
   and c.measure_id = a.measure_id
left join area_burden as b
    on c.area_level = b.area_level and c.area_code = b.area_code and c.period = b.period
left join proposal_ranked as p on c.period = p.period and c.measure_id = p.measure_id
left join {{ ref('int_survey_wave_keys') }} as wk on c.period = wk.period
