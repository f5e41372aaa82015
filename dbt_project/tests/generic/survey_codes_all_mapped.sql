{#- Fails for every agency question or response code that carries answers but is not harmonised:
    the question is in no mapping file, or the mapped question's code has no canonical response and is
    not excluded on purpose. Answers must never vanish silently from the quality-of-life view. -#}
{% test survey_codes_all_mapped(model) %}
select survey_id, question_id, agency_code, harmonisation_status, answers
from {{ model }}
where harmonisation_status in ('unmapped_question', 'unmapped_response')
  and answers > 0
{% endtest %}
