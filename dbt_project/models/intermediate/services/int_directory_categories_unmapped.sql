-- Directory category terms the canonical taxonomy map does not cover (add them to
-- seeds/service_taxonomy_map.csv). Their services stay on the map, without a canonical category.
select
    directory,
    vocabulary,
    term,
    count(distinct service_key) as services
from {{ ref('int_directory_service_categories') }}
where category_code is null
group by directory, vocabulary, term
