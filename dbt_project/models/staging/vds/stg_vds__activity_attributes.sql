-- Skills, causes, availability slots (from session times' dayOfWeek × timeOfDay) and modes per VDS activity.
select
    _source || ':' || activity_id as vacancy_key,
    activity_id,
    attribute,
    trim(value) as attribute_value
from {{ source('raw', 'vds_activity_attributes') }}
where nullif(trim(value), '') is not null
