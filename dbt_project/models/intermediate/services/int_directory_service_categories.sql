-- Each directory category term of each service mapped onto the canonical taxonomy (seed
-- service_taxonomy_map). A row for one vocabulary wins over a row that applies to any vocabulary;
-- terms match after clean_text (case, '&'/'and' and punctuation do not matter). Unmapped: NULL.
with terms as (
    select
        service_key,
        directory,
        term_id,
        term,
        vocabulary,
        {{ clean_text('term') }} as term_clean
    from {{ ref('stg_directories__taxonomy_terms') }}
),

term_map as (
    select
        nullif(trim(vocabulary), '') as vocabulary,
        {{ clean_text('term') }} as term_clean,
        trim(category_code) as category_code
    from {{ ref('service_taxonomy_map') }}
)

select
    t.service_key,
    t.directory,
    t.term_id,
    t.term,
    t.vocabulary,
    coalesce(own.category_code, shared.category_code) as category_code,
    case
        when own.category_code is not null then 'vocabulary'
        when shared.category_code is not null then 'any vocabulary'
    end as mapped_by
from terms as t
left join term_map as own
    on t.vocabulary = own.vocabulary
    and t.term_clean = own.term_clean
left join term_map as shared
    on shared.vocabulary is null
    and t.term_clean = shared.term_clean
