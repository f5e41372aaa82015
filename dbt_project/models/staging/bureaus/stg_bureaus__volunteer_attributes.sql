-- Skills, interests, causes and availability per volunteer.
select
    _source || ':' || volunteer_id as volunteer_key,
    volunteer_id,
    attribute,
    trim(value) as attribute_value
from {{ source('raw', 'bureau_volunteer_attributes') }}
