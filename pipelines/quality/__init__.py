"""Data quality: Great Expectations suites run against the warehouse, surfaced as Dagster asset checks."""
