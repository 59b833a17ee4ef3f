"""Staffing lists (XLSX, one row per official), pseudonymised on the way in.

Names, birth dates, phone and citizen-ID numbers never reach an analyst-facing schema in clear: each
official gets `person_key`, an HMAC-SHA256 of the citizen ID (or of name and birth date when the ID is
missing) under a secret from settings. The clear values are kept only in the `restricted` schema, which
analysts' read-only copies leave out.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
from openpyxl import load_workbook

from pipelines.ingest.guards import check_size, check_xlsx
from pipelines.ingest.register import (
    FileResult,
    IngestError,
    ingest_file,
    insert_rows,
    quarantine_rows,
)
from pipelines.reference import CommuneResolver
from pipelines.vietnamese import name_key, nfc

SOURCE_KIND = "staffing_list"
MAX_STAFFING_BYTES = 50 * 1024 * 1024
HEADER_VARIANTS = {
    "full_name": ("Họ và tên", "Họ tên"),
    "birth_date": ("Ngày sinh", "Ngày tháng năm sinh"),
    "phone": ("Số điện thoại", "Điện thoại"),
    "citizen_id": ("Số CCCD", "CCCD", "Số định danh cá nhân"),
    "commune": ("Đơn vị", "Xã/Phường"),
    "department": ("Phòng ban", "Bộ phận"),
    "position": ("Chức vụ",),
    "education": ("Trình độ chuyên môn", "Chuyên ngành đào tạo"),
    "dt_role": ("Vai trò chuyển đổi số", "Vai trò CĐS"),
    "trained": ("Tập huấn kỹ năng số", "Đã tập huấn kỹ năng số"),
    "certificate": ("Chứng thư số", "Có chứng thư số"),
}
REQUIRED = ("full_name", "commune", "dt_role")
_LOOKUP = {name_key(v): k for k, vs in HEADER_VARIANTS.items() for v in vs}
_IT_EDUCATION = re.compile(r"công nghệ thông tin|tin học|máy tính|điện tử viễn thông|an toàn thông tin")
_ROLES = {"chuyên trách": "dedicated", "kiêm nhiệm": "concurrent", "không": "none", "": "none"}
_PERIOD_IN_NAME = re.compile(r"(\d{4}-(?:Q[1-4]|9M|Y))")

RAW_DDL = """
create schema if not exists raw;
create schema if not exists restricted;
create table if not exists raw.staffing (
    file_sha256 varchar not null,
    source_row integer not null,
    period_key varchar not null,
    commune_id varchar not null,
    person_key varchar not null,
    department varchar,
    position varchar,
    education varchar,
    has_it_education boolean not null,
    dt_role varchar not null,
    is_trained boolean,
    has_certificate boolean
);
create table if not exists restricted.staffing_personal (
    person_key varchar not null,
    file_sha256 varchar not null,
    source_row integer not null,
    full_name varchar,
    birth_date varchar,
    phone varchar,
    citizen_id varchar
);
"""


def pseudonym(secret: str, citizen_id: str | None, full_name: str, birth_date: str | None) -> str:
    """Stable keyed pseudonym: the same official gets the same key in every list, nobody can reverse it."""
    basis = f"id:{citizen_id.strip()}" if citizen_id else f"name:{name_key(full_name)}|{birth_date or ''}"
    return hmac.new(secret.encode(), basis.encode(), hashlib.sha256).hexdigest()[:32]


def _yes(value: str | None) -> bool | None:
    key = name_key(value or "")
    return {"có": True, "x": True, "1": True, "không": False, "0": False}.get(key)


@dataclass
class StaffRow:
    source_row: int
    commune_id: str
    person_key: str
    department: str | None
    position: str | None
    education: str | None
    has_it_education: bool
    dt_role: str
    is_trained: bool | None
    has_certificate: bool | None
    personal: tuple[str | None, str | None, str | None, str | None]


def parse_staffing(
    path: Path, resolver: CommuneResolver, secret: str
) -> tuple[str, list[StaffRow], list[IngestError]]:
    check_size(path, MAX_STAFFING_BYTES)
    check_xlsx(path)
    period = _PERIOD_IN_NAME.search(path.name)
    if not period:
        raise IngestError(
            path,
            None,
            "period",
            "tên tệp danh sách cán bộ không ghi kỳ (ví dụ staffing_2025-Q3.xlsx)",
            "staffing file name carries no period (e.g. staffing_2025-Q3.xlsx)",
            reason="missing_period",
        )
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        headers = [nfc(str(h)).strip() if h is not None else "" for h in next(rows, ())]
        columns = {_LOOKUP[name_key(h)]: i for i, h in enumerate(headers) if name_key(h) in _LOOKUP}
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise IngestError(
                path,
                1,
                missing[0],
                f"thiếu cột bắt buộc '{HEADER_VARIANTS[missing[0]][0]}'",
                f"missing required column {missing[0]}",
                reason="missing_required_column",
            )
        good, problems = [], []
        for number, row in enumerate(rows, start=2):
            cell = {
                k: (nfc(str(row[i])).strip() if i < len(row) and row[i] is not None else None)
                for k, i in columns.items()
            }
            if not any(cell.values()):
                continue
            parsed = _staff_row(path, number, cell, resolver, secret)
            (problems if isinstance(parsed, IngestError) else good).append(parsed)
    finally:
        workbook.close()
    return period.group(1), good, problems


def _staff_row(path: Path, number: int, cell: dict, resolver: CommuneResolver, secret: str):
    if not cell.get("full_name"):
        return IngestError(
            path,
            number,
            "full_name",
            "thiếu họ tên cán bộ",
            "official's name is empty",
            reason="missing_value",
        )
    commune_id = resolver.resolve(cell.get("commune"))
    if commune_id is None:
        return IngestError(
            path,
            number,
            "commune",
            f"không xác định được đơn vị '{cell.get('commune')}'",
            f"unknown commune {cell.get('commune')!r}",
            reason="unknown_commune",
            raw_value=cell.get("commune"),
        )
    role = _ROLES.get(name_key(cell.get("dt_role") or ""))
    if role is None:
        return IngestError(
            path,
            number,
            "dt_role",
            f"vai trò chuyển đổi số '{cell.get('dt_role')}' không hợp lệ",
            f"unknown digital-transformation role {cell.get('dt_role')!r}",
            reason="invalid_value",
            raw_value=cell.get("dt_role"),
        )
    education = cell.get("education")
    return StaffRow(
        number,
        commune_id,
        pseudonym(secret, cell.get("citizen_id"), cell["full_name"], cell.get("birth_date")),
        cell.get("department"),
        cell.get("position"),
        education,
        bool(_IT_EDUCATION.search(name_key(education or ""))),
        role,
        _yes(cell.get("trained")),
        _yes(cell.get("certificate")),
        (cell["full_name"], cell.get("birth_date"), cell.get("phone"), cell.get("citizen_id")),
    )


def ingest_staffing(
    con: duckdb.DuckDBPyConnection, path: Path, archive_dir: Path, resolver: CommuneResolver, secret: str
) -> FileResult:
    con.execute(RAW_DDL)

    def land(sha: str, parsed: tuple[str, list[StaffRow], list[IngestError]]) -> tuple[int, int]:
        period_key, good, problems = parsed
        if good:
            _insert(con, sha, period_key, good)
        quarantine_rows(con, sha, problems)
        return len(good), len(problems)

    return ingest_file(
        con, path, SOURCE_KIND, archive_dir, lambda: parse_staffing(path, resolver, secret), land
    )


def _insert(con: duckdb.DuckDBPyConnection, sha: str, period_key: str, rows: list[StaffRow]) -> None:
    insert_rows(
        con,
        "raw.staffing",
        (
            [
                sha,
                r.source_row,
                period_key,
                r.commune_id,
                r.person_key,
                r.department,
                r.position,
                r.education,
                r.has_it_education,
                r.dt_role,
                r.is_trained,
                r.has_certificate,
            ]
            for r in rows
        ),
    )
    insert_rows(
        con, "restricted.staffing_personal", ([r.person_key, sha, r.source_row, *r.personal] for r in rows)
    )


def staffing_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.is_file() and not p.name.startswith((".", "~$")))
