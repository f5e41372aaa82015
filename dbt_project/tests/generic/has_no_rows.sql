{#- Fails when the model has any row (for report models that should stay empty, e.g. unmapped terms). -#}
{% test has_no_rows(model) %}
select * from {{ model }}
{% endtest %}
