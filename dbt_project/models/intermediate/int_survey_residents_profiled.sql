-- One row per resident per survey period: where they live and who they are, from all their responses.
-- Each attribute comes from the most recent response that has it (submitted_at, then response_key).
with responses as (
    select
        r.response_key,
        l.resident_key,
        qn.period,
        qn.agency,
        r.submitted_at,
        r.lsoa_code,
        r.age_band_code as dob_age_band_code
    from {{ ref('stg_surveys__respondents') }} as r
    inner join {{ ref('int_survey_responses_linked') }} as l on r.response_key = l.response_key
    inner join {{ ref('stg_surveys__questionnaires') }} as qn on r.survey_id = qn.survey_id
),

demographics as (
    -- census-coded answers only (valence neutral); "prefer not to say" and "other" are not census codes
    select
        response_key,
        max(case when measure_id = 'sex' then canonical_code end) as sex_code,
        max(case when measure_id = 'ethnic_group' then canonical_code end) as ethnic_group_code,
        max(case when measure_id = 'age_band' then canonical_code end) as stated_age_band_code
    from {{ ref('int_survey_answers_harmonised') }}
    where harmonisation_status = 'mapped'
      and measure_id in ('sex', 'ethnic_group', 'age_band')
      and valence = 'neutral'
    group by response_key
),

joined as (
    select r.*, d.sex_code, d.ethnic_group_code, d.stated_age_band_code
    from responses as r
    left join demographics as d on r.response_key = d.response_key
),

profiled as (
    select
        resident_key,
        period,
        count(*) as responses,
        count(distinct agency) as agencies,
        max(submitted_at) as last_submitted_at,
        first(lsoa_code order by submitted_at desc nulls last, response_key) filter (where lsoa_code is not null)
            as lsoa_code,
        first(dob_age_band_code order by submitted_at desc nulls last, response_key)
            filter (where dob_age_band_code is not null) as dob_age_band_code,
        first(stated_age_band_code order by submitted_at desc nulls last, response_key)
            filter (where stated_age_band_code is not null) as stated_age_band_code,
        first(sex_code order by submitted_at desc nulls last, response_key) filter (where sex_code is not null)
            as sex_code,
        first(ethnic_group_code order by submitted_at desc nulls last, response_key)
            filter (where ethnic_group_code is not null) as ethnic_group_code
    from joined
    group by resident_key, period
)

select
    p.resident_key,
    p.period,
    p.responses,
    p.agencies,
    p.last_submitted_at,
    p.lsoa_code,
    g.ward_code,
    g.lad_code,
    d.imd_decile,
    -- date of birth is exact; a stated band is the fallback
    coalesce(p.dob_age_band_code, p.stated_age_band_code) as age_band_code,
    case
        when p.dob_age_band_code is not null then 'date_of_birth'
        when p.stated_age_band_code is not null then 'stated'
    end as age_band_source,
    p.sex_code,
    p.ethnic_group_code
from profiled as p
left join {{ ref('stg_ons__lsoas') }} as g on p.lsoa_code = g.lsoa_code
left join {{ ref('stg_imd__deprivation') }} as d on p.lsoa_code = d.lsoa_code
