{#- Service map lineage: a mapped row names its canonical service, a quarantined row its reason. -#}
{% test mapped_rows_have_a_canonical_service(model) %}
select source_record_key, outcome
from {{ model }}
where (outcome = 'mapped' and canonical_service_id is null)
   or (outcome = 'quarantined' and (canonical_service_id is not null or quarantine_reason is null))
{% endtest %}
