"""floop's Dagster assets, one module per stage: ingest (GX results as checks), dbt (dbt tests
as checks), exports (one per dataset policy), publish (the analyst copy)."""
