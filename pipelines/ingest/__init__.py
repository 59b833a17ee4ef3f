"""Ingest: the three sources land in the raw schema of the warehouse."""
