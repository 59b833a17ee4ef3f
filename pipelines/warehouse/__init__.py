"""The warehouse: the dbt project on DuckDB, as Dagster assets."""
