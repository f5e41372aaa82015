-- The wave key of each survey period: the record keys of every resident surveyed in the period, summed mod
-- 256 (macros/disclosure.sql survey_cell_key). One added response changes it, so every survey cell of that
-- period is re-drawn; the same residents always give the same key. Private.
select
    p.period,
    count(*) as residents,
    {{ cell_key('k.record_key') }} as wave_key
from {{ ref('int_survey_residents_profiled') }} as p
inner join {{ ref('int_survey_resident_record_keys') }} as k on p.resident_key = k.resident_key
group by p.period
