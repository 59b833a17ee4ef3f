"""Lists people keep in git beside the rules (`expectations/*.csv`): every row says who decided, on which day
and why, so a decision is auditable; a row that does not is refused with its file and line."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path


def read_reviewed_csv(
    path: Path, columns: tuple[str, ...], date_column: str
) -> Iterator[tuple[int, dict[str, str], date]]:
    """(line, the row's values stripped, its date) for every row of `path`, whose header must be `columns`;
    nothing when the file does not exist. Raises ValueError naming the file and line of a row with an empty
    column or a date not written YYYY-MM-DD."""
    if not path.exists():
        return
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != columns:
            raise ValueError(f"{path}: dòng tiêu đề phải là {','.join(columns)} (the header must be that)")
        for line, raw in enumerate(reader, start=2):
            row = {c: (raw.get(c) or "").strip() for c in columns}
            missing = [c for c in columns if not row[c]]
            if missing:
                raise ValueError(f"{path}, dòng {line}: thiếu {', '.join(missing)} (missing {missing})")
            try:
                day = date.fromisoformat(row[date_column])
            except ValueError as exc:
                raise ValueError(f"{path}, dòng {line}: {date_column} phải là YYYY-MM-DD") from exc
            yield line, row, day
