"""The dossier system read straight from its database (SQLite stand-in), incrementally by updated-at."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb

from pipelines.ingest.assets import conservation_violations
from pipelines.ingest.dossier_db import pull_dossier_db

COLUMNS = (
    "ma_ho_so, don_vi, thu_tuc, linh_vuc, ngay_tiep_nhan, hinh_thuc_nop, han_xu_ly, ngay_hoan_thanh, "
    "trang_thai, co_thu_phi, so_hoa_tiep_nhan, so_hoa_ket_qua, thanh_toan_truc_tuyen, ngay_cap_nhat"
)


def _system(path: Path, rows: list[tuple]) -> str:
    db = sqlite3.connect(path)
    db.execute(f"create table if not exists ho_so ({COLUMNS})")
    db.executemany(f"insert into ho_so values ({', '.join('?' * 14)})", rows)
    db.commit()
    db.close()
    return f"sqlite:///{path}"


def _row(
    code: str,
    updated: str,
    status: str = "Đang giải quyết",
    finished: str | None = None,
    channel: str = "Trực tuyến",
    received: str = "2025-07-01 08:00:00",
) -> tuple:
    return (
        code,
        "Xã Minh Long",
        "Đăng ký khai sinh",
        "Hộ tịch",
        received,
        channel,
        "2025-07-03 17:00:00",
        finished,
        status,
        0,
        1,
        0,
        0,
        updated,
    )


def test_pulls_only_what_changed_since_the_watermark(tmp_path: Path):
    url = _system(
        tmp_path / "motcua.sqlite", [_row("A", "2025-07-01 08:00:00"), _row("B", "2025-07-01 09:00:00")]
    )
    con = duckdb.connect()
    first = pull_dossier_db(con, url, batch_rows=1)
    assert [r.rows_loaded for r in first] == [1, 1]  # two batches of one
    assert pull_dossier_db(con, url) == []  # nothing new
    _system(
        tmp_path / "motcua.sqlite",
        [
            _row("A", "2025-07-02 10:00:00", "Đã giải quyết", "2025-07-02 10:00:00"),
            _row("C", "2025-07-02 11:00:00", channel="Bồ câu"),
        ],
    )
    second = pull_dossier_db(con, url)
    assert [(r.rows_loaded, r.rows_quarantined) for r in second] == [(1, 1)]
    assert con.execute("select count(*) from raw.dossiers").fetchone()[0] == 3
    latest = con.execute("""select status from raw.dossiers where dossier_code = 'A'
                            order by loaded_at desc limit 1""").fetchone()[0]
    assert latest == "resolved"
    assert con.execute("select field, raw_value from raw.quarantine").fetchall() == [("channel", "Bồ câu")]
    assert con.execute("select watermark from raw.source_watermarks").fetchone()[0] == "2025-07-02 11:00:00"
    assert conservation_violations(con, "dossier_db") == []


def test_credentials_never_reach_the_register():
    from pipelines.ingest.dossier_db import _redacted

    shown = _redacted("postgresql+psycopg://reader:s3cret@dossier-host/motcua")
    assert "s3cret" not in shown and "reader" in shown and "dossier-host/motcua" in shown


def test_the_dossier_asset_pulls_the_database_when_one_is_configured(tmp_path: Path, monkeypatch):
    from dagster import materialize

    from pipelines.ingest.assets import raw_dossiers
    from pipelines.resources import build_resources

    from .conftest import settings_for

    url = _system(
        tmp_path / "motcua.sqlite", [_row("A", "2025-07-01 08:00:00"), _row("B", "2025-07-01 09:00:00")]
    )
    monkeypatch.setenv("CDS_DOSSIER_DB_URL", url)
    (tmp_path / "sources").mkdir()
    settings = settings_for(tmp_path / "sources", tmp_path)
    settings = settings.__class__(**{**settings.__dict__, "dossier_db_url": url})
    resources = build_resources(settings)
    result = materialize(
        [raw_dossiers],
        resources={k: resources[k] for k in ("warehouse", "sources", "dossier_db", "reference")},
        partition_key="2025-Q3",
    )
    assert result.success
    metadata = result.asset_materializations_for_node("raw__dossiers")[0].metadata
    assert metadata["rows_loaded_this_run"].value == 2
