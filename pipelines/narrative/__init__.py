"""Narrative reports: communes' written reports read into positioned text (figure extraction follows)."""
