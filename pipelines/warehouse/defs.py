"""The warehouse domain's Dagster pieces: the dbt build, its docs and the analysts' read-only copy."""

from dagster import Definitions

from pipelines.warehouse import analyst, dbt, docs

defs = Definitions(assets=[*dbt.assets, *docs.assets, *analyst.assets])
