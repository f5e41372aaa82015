"""
### Agency surveys → raw (pseudonymised)

Reads the partnership's survey index and, for every agency survey in it, the questionnaire (JSON)
and the survey-tool CSV export (UTF-8, UTF-8 with BOM or Windows-1252, detected). Identifying fields
(email, surname, date of birth, postcode) are normalised and keyed-hashed (HMAC-SHA256, key from
`CG_HASH_KEY` or the Variable `cg_hash_key`) before anything is written; LSOA and census age band are
kept. Answers land in long form. Updates `cg_raw_surveys`.
"""

from ingest.airflow_tasks import ingestion_dag

dag = ingestion_dag("surveys", schedule="@weekly", doc=__doc__, tags=["surveys"])
