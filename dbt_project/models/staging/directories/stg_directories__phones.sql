-- Phone numbers per service, in directory order.
select
    _source || ':' || service_id as service_key,
    _source as directory,
    service_id,
    {{ to_int('position') }} as phone_position,
    trim(number) as phone_number
from {{ source('raw', 'directory_service_phones') }}
