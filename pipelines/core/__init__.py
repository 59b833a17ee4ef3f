"""The shared core every domain may import and that imports none of them: Vietnamese text and numbers
(`vietnamese`), SQL identifier quoting (`sqltext`), opening the DuckDB file (`dbfile`), reproducible and
atomic files (`zipfiles`), file hashing (`files`), and raw-table rows and figure types (`rows`)."""
