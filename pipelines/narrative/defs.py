"""The narrative domain's Dagster pieces: the narrative reports' asset and its conservation check."""

from dagster import Definitions

from pipelines.narrative import assets

defs = Definitions(assets=assets.assets, asset_checks=assets.checks)
