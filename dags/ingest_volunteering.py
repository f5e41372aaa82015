"""
### Volunteer bureaus → raw

Harvests each bureau's RPDE vacancy feed incrementally from the stored high-water mark (upserts for
`updated`, tombstones for `deleted`, resumable after a failure), snapshots each Volunteering Data Standard
platform's activities, and snapshots each bureau's skill bank with identifying fields pseudonymised.
Updates `cg_raw_volunteering`.
"""

from ingest.airflow_tasks import ingestion_dag

dag = ingestion_dag("volunteering", schedule="@hourly", doc=__doc__, tags=["volunteering"])
