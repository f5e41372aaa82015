-- Headline figures of the build, one row each (printed in the run summary). Each domain contributes
-- its rows as one more "union all" block reading its own model through ref().
with feeds as (
    select
        'feeds' as domain,
        'records_received' as metric,
        'Feed records received (what raw now holds)' as label,
        cast(sum(received) as double) as value
    from {{ ref('feed_reconciliation') }}
    union all
    select 'feeds', 'records_quarantined', 'Feed records quarantined with a reason', cast(sum(quarantined) as double)
    from {{ ref('feed_reconciliation') }}
),

surveys as (
    -- counts of people and their asks, each from the survey counts the survey marts publish (cell-key
    -- perturbed with the period's wave key and rounded to 5, macros/disclosure.sql survey_count), summed over
    -- periods: an exact total would move by what one added response changed (docs/disclosure.md)
    select 'surveys' as domain, 'residents_surveyed' as metric,
        'Survey residents (responses linked across agencies, each counted once)' as label,
        cast(coalesce(sum({{ survey_count('residents_surveyed', 'key_residents_surveyed') }}), 0) as double) as value
    from (
        select distinct period, residents_surveyed, key_residents_surveyed
        from {{ ref('int_survey_overlap_cells') }}
        where area_level = 'partnership'
    ) as p
    union all
    select 'surveys', 'residents_surveyed_more_than_once', 'Residents surveyed more than once (2+ agency surveys)',
        cast(coalesce(sum({{ survey_count('m.residents', 'm.cell_key') }}), 0) as double)
    from (
        select r.period, count(*) as residents,
            {{ survey_cell_key('sum(k.record_key)', 'any_value(wk.wave_key)') }} as cell_key
        from {{ ref('int_survey_residents_profiled') }} as r
        inner join {{ ref('int_survey_resident_record_keys') }} as k on r.resident_key = k.resident_key
        left join {{ ref('int_survey_wave_keys') }} as wk on r.period = wk.period
        where r.responses > 1
        group by r.period
    ) as m
    union all
    select 'surveys', 'duplicate_question_asks_removed',
        'Duplicate question-asks removed (same resident, measure and period)',
        cast(coalesce(sum(duplicate_asks), 0) as double)
    from {{ ref('survey_overlap') }}
    where area_level = 'partnership'
    union all
    select 'surveys', 'duplicate_answers_removed', 'Duplicate survey answers removed (one answer per resident kept)',
        cast(coalesce(sum(duplicate_answers_removed), 0) as double)
    from {{ ref('survey_overlap') }}
    where area_level = 'partnership'
),

volunteering as (
    select 'volunteering' as domain, 'open_vacancies' as metric,
           'Volunteer roles open (cross-posted adverts merged)' as label, cast(count(*) as double) as value
    from {{ ref('volunteer_vacancies') }}
    union all
    select 'volunteering', 'cross_posted_vacancies', 'Volunteer roles advertised by more than one bureau',
           cast(sum(case when advert_count > 1 then 1 else 0 end) as double)
    from {{ ref('volunteer_vacancies') }}
    union all
    select 'volunteering', 'vacancies_matched', 'Volunteer roles with at least one suitable volunteer',
           cast(sum(case when matched_volunteers > 0 then 1 else 0 end) as double)
    from {{ ref('volunteer_vacancies') }}
    union all
    select 'volunteering', 'vacancies_unmatched', 'Volunteer roles with no suitable volunteer',
           cast(sum(case when matched_volunteers = 0 then 1 else 0 end) as double)
    from {{ ref('volunteer_vacancies') }}
    union all
    select 'volunteering', 'matches_made', 'Volunteer matches listed (top 5 per role)', cast(count(*) as double)
    from {{ ref('volunteer_matches') }}
    union all
    select 'volunteering', 'skill_bank_people', 'People in the skill bank (both bureaus, counted once)',
           cast({{ suppress_small('count(*)') }} as double)
    from {{ ref('int_volunteer_profiles') }}
    union all
    select 'volunteering', 'skill_wordings_unmapped', 'Skill/cause wordings not in the taxonomy (int_skills_unmapped)',
           cast(count(*) as double)
    from {{ ref('int_skills_unmapped') }}
),

services as (
    select
        'services' as domain,
        's1_records_received' as metric,
        'Service directory records received (all partner directories)' as label,
        cast(sum(records_received) as double) as value
    from {{ ref('service_map_reconciliation') }}
    union all
    select 'services', 's2_listings_loaded', 'Service-at-location listings loaded (source records linked)',
        cast(count(*) as double)
    from {{ ref('service_map_sources') }}
    where outcome = 'mapped'
    union all
    select 'services', 's3_canonical_services', 'Canonical services on the service map', cast(count(*) as double)
    from {{ ref('service_map') }}
    union all
    select 'services', 's4_duplicates_merged', 'Duplicate listings merged into canonical services',
        cast(sum(source_records - 1) as double)
    from {{ ref('service_map') }}
    union all
    -- averaged as decimals: a parallel sum of doubles can differ in its last bit from run to run
    -- (metric names s1…s6 keep the figures in reading order in the run summary)
    select 'services', 's5_mean_match_probability_pct', 'Mean match probability of merged listings (%)',
        cast(round(100 * avg(cast(match_probability as decimal(18, 15))), 4) as double)
    from {{ ref('service_map_sources') }}
    where outcome = 'mapped' and cluster_size > 1
    union all
    select 'services', 's6_coverage_gaps', 'Service gaps flagged (high-need ward x category)',
        cast(sum(case when gap_flag then 1 else 0 end) as double)
    from {{ ref('service_coverage') }}
)

select domain, metric, label, value from feeds
union all
select domain, metric, label, value from surveys
union all
select domain, metric, label, value from volunteering
union all
select domain, metric, label, value from services
