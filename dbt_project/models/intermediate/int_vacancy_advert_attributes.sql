-- Skills, causes and availability slots of every advert, RPDE and VDS alike (VDS skill/cause labels as
-- published; its slots come from session times' dayOfWeek × timeOfDay).
select vacancy_key, vacancy_id, attribute, attribute_value, 'rpde' as source_format
from {{ ref('stg_bureaus__vacancy_attributes') }}

union all

select vacancy_key, activity_id as vacancy_id, attribute, attribute_value, 'vds' as source_format
from {{ ref('stg_vds__activity_attributes') }}
where attribute in ('skill', 'cause', 'availability')
