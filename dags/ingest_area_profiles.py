"""
### Area profiles → raw

Pulls the ONS-style area bundle — LSOA → ward → district lookup, census population by age band × sex
and by ethnic group, the Index of Multiple Deprivation and the postcode → LSOA lookup — into
`raw.*` of the private warehouse. Rows failing checks land in `raw.quarantine` with a reason; each
load's received / loaded / quarantined is in `meta.load_ledger`. Updates the `cg_raw_area_profiles`
asset, which triggers `warehouse_build`. Run this before surveys and volunteering: their postcodes
are turned into LSOAs with this lookup.
"""

from ingest.airflow_tasks import ingestion_dag

dag = ingestion_dag("area_profiles", schedule="@monthly", doc=__doc__, tags=["area-profiles"])
