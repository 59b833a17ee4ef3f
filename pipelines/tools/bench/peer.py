"""The naive peer: the limit's computation in plain pandas, as a one-off script would write it.

`python -m pipelines.tools.bench.peer SOURCES` reads every export whole into memory (`read_csv`,
`read_excel`),
types the columns, sets bad rows aside, keeps the latest row per dossier, resolves communes, classifies,
counts per commune × quarter and runs the same checks. It prints the same JSON as `limit.py`, so the
harness can see the three agree before comparing their cost.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.core.vietnamese import name_key, strip_address_tail
from pipelines.ingest.dossier_exports import TIMESTAMP_FORMATS
from pipelines.tools.bench.limit import COLUMNS, aliases_csv

CHANNELS = {"trực tuyến": "online", "trực tiếp": "in_person", "qua bưu chính công ích": "postal"}
STATUSES = {
    "đã giải quyết": "resolved",
    "đang giải quyết": "in_progress",
    "rút hồ sơ": "withdrawn",
    "trả lại": "returned",
}


def _timestamps(text: pd.Series) -> pd.Series:
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    for fmt in TIMESTAMP_FORMATS:
        missing = parsed.isna() & text.notna()
        if not missing.any():
            break
        parsed[missing] = pd.to_datetime(text[missing], format=fmt, errors="coerce")
    return parsed


def load(folder: Path) -> tuple[pd.DataFrame, int]:
    frames = []
    for path in sorted(folder.glob("*.csv")) + sorted(folder.glob("*.xlsx")):
        read = pd.read_csv if path.suffix == ".csv" else pd.read_excel
        frame = read(path, dtype=str)[list(COLUMNS)].rename(columns=COLUMNS)
        frame["source_file"] = str(path)
        frame["source_row"] = np.arange(len(frame))
        frames.append(frame)
    raw = pd.concat(frames, ignore_index=True)
    for column in COLUMNS.values():
        raw[column] = raw[column].str.strip().replace("", None)
    raw["finished_text"] = raw["finished_at"]
    for column in ("received_at", "due_at", "finished_at"):
        raw[column] = _timestamps(raw[column])
    raw["channel"] = raw["channel"].str.lower().map(CHANNELS)
    raw["status"] = raw["status"].str.lower().map(STATUSES)
    bad = raw[["dossier_code", "received_at", "due_at", "channel", "status"]].isna().any(axis=1) | (
        raw["finished_text"].notna() & raw["finished_at"].isna()
    )
    return raw[~bad].drop(columns="finished_text"), int(bad.sum())


def _unit_key(name: str) -> str:
    """The pipeline's `unit_name_key`: the name key without a district or province written after it."""
    return strip_address_tail(name_key(name))


def transform(dossiers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    aliases = pd.read_csv(aliases_csv(), dtype=str)[["alias_key", "commune_id"]]
    latest = dossiers.sort_values(["source_file", "source_row"], ascending=[False, True]).drop_duplicates(
        "dossier_code"
    )
    latest = latest.assign(alias_key=latest["commune_name"].map(_unit_key, na_action="ignore")).merge(
        aliases, on="alias_key", how="left"
    )
    finished, due, received = latest["finished_at"], latest["due_at"], latest["received_at"]
    latest["outcome"] = np.select(
        [
            latest["status"].isin(["withdrawn", "returned"]),
            (latest["status"] == "in_progress") | finished.isna(),
            finished < received,
            finished.dt.normalize() < due.dt.normalize(),
            finished.dt.normalize() == due.dt.normalize(),
        ],
        ["withdrawn", "open", "invalid_dates", "early", "on_time"],
        default="late",
    )
    latest["quarter_start"] = received.dt.to_period("Q").dt.start_time
    known = latest[latest["commune_id"].notna()]
    in_quarter = known["finished_at"] < known["quarter_start"] + pd.DateOffset(months=3)
    closed = ~known["outcome"].isin(["withdrawn", "open"]) & in_quarter
    flags = pd.DataFrame(
        {
            "commune_id": known["commune_id"],
            "quarter_start": known["quarter_start"],
            "received": 1,
            "online": known["channel"] == "online",
            "resolved": closed,
            "on_time": known["outcome"].isin(["early", "on_time"]) & in_quarter,
            "late": (known["outcome"] == "late") & in_quarter,
        }
    )
    counts = flags.groupby(["commune_id", "quarter_start"]).sum()
    counts["online_rate"] = (100 * counts["online"] / counts["received"]).round(2)
    counts["on_time_rate"] = (100 * counts["on_time"] / counts["resolved"].replace(0, np.nan)).round(2)
    return latest, counts


def checks(dossiers: pd.DataFrame, classified: pd.DataFrame, counts: pd.DataFrame) -> dict[str, int]:
    copies = dossiers.groupby(["dossier_code", "source_file"]).size()
    unknown = classified[classified["commune_id"].isna()]
    rates = counts[["online_rate", "on_time_rate"]]
    return {
        "duplicate_rows": int((copies > 1).sum()),
        "impossible_dates": int(
            (classified["finished_at"] < classified["received_at"]).sum()
            + (classified["due_at"] < classified["received_at"]).sum()
        ),
        "unknown_commune": int(unknown.groupby(["source_file", "commune_name"]).ngroups),
        "rates_out_of_range": int(((rates < 0) | (rates > 100)).any(axis=1).sum()),
    }


def run_peer(sources: Path) -> dict:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    dossiers, quarantined = load(sources / "dossiers")
    seconds["load"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    classified, counts = transform(dossiers)
    seconds["transform"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    found = checks(dossiers, classified, counts)
    seconds["checks"] = round(time.perf_counter() - started, 2)
    totals = {
        "rows_loaded": len(dossiers),
        "rows_quarantined": quarantined,
        **{k: int(counts[k].sum()) for k in ("received", "online", "resolved", "on_time", "late")},
    }
    return {"stages": seconds, "totals": totals, "checks": found}


if __name__ == "__main__":
    print(json.dumps(run_peer(Path(sys.argv[1]))))
