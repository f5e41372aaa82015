-- Skills needed, causes and availability slots per vacancy.
select
    _source || ':' || vacancy_id as vacancy_key,
    vacancy_id,
    attribute,
    trim(value) as attribute_value
from {{ source('raw', 'bureau_vacancy_attributes') }}
