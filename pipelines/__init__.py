"""Commune digital-transformation statistics: the Dagster code location and its helpers."""
