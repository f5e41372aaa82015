{#- Fails for every non-null value of the column that does not match the regular expression. -#}
{% test matches_pattern(model, column_name, pattern) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not {{ regexp_test(column_name, pattern) }}
{% endtest %}
