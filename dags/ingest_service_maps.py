"""
### Partner service directories → raw

Walks every partner's Open Referral / HSDS-style directory page by page (current and ORUK 1
envelopes, hard page limit), upgrades old records to the current shape, validates each service
against the service schema and lands services, locations, taxonomy terms and phones. Invalid and
duplicate records go to `raw.quarantine`. Updates `cg_raw_service_maps`.
"""

from ingest.airflow_tasks import ingestion_dag

dag = ingestion_dag("service_maps", schedule="@daily", doc=__doc__, tags=["service-map"])
