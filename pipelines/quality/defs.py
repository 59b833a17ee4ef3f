"""The quality domain's Dagster pieces: the findings asset, and the Great Expectations suites as asset checks
on the assets they judge."""

from dagster import Definitions

from pipelines.quality import assets, checks

defs = Definitions(assets=assets.assets, asset_checks=[*checks.checks, *assets.checks])
