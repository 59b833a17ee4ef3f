"""Deterministic sample sources in their real-world formats, with a ground-truth list of injected defects."""
