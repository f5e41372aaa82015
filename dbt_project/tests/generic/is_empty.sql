{#- Fails (or warns, with severity: warn) for every row of the model: for reports that should be empty. -#}
{% test is_empty(model) %}
select * from {{ model }}
{% endtest %}
