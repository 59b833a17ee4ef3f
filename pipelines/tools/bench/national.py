"""Reference data for a national-scale benchmark: 3,321 communes over the eight quarters of 2024–2025.

The project's seeds describe one province. A national run needs communes that the alias table resolves
and a calendar with two years of periods, so this writes a complete reference folder for
`CDS_REFERENCE_DIR` (communes, aliases, calendar; indicators and service-index criteria copied as they
are). Commune names are synthetic and unique once folded to ASCII, because the alias table resolves a name
without its province: real national data, where many provinces have a "Xã Tân Lập", would need the
province in the key.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta
from itertools import permutations
from pathlib import Path

from pipelines.reference import SEEDS_DIR, ascii_fold, write_aliases
from pipelines.tools.bench.scales import NATIONAL_COMMUNES
from pipelines.tools.sample.dossiers import UNKNOWN_COMMUNE

PROVINCES = 34
YEARS = (2024, 2025)
COPIED = (
    "ref_indicators.csv",
    "ref_indicator_keywords.csv",
    "ref_indicator_identities.csv",
    "ref_figure_roles.csv",
    "ref_service_index_criteria.csv",
    "_seeds.yml",
)

_SYLLABLES = (
    "An Bình Cát Châu Đông Đức Giang Hải Hòa Hưng Khánh Lạc Lâm Lợi Long Lộc Minh Mỹ Nam Nghĩa Ninh "
    "Phong Phú Phúc Phước Quang Sơn Tân Thái Thạnh Thành Thịnh Thuận Thượng Tiến Trung Tường Vân Vĩnh "
    "Xuân Yên Bắc Cường Điền Định Hạnh Hiệp Hội Kim Liên Mai Nhơn Ngọc Quý Tây Thắng Thọ Trà Văn "
    "Bảo Cẩm Gia Hà Hiền Hồng Khương Lam Nhân Phụng Quế Tam Tịnh Tuy Uyên Vạn Xương"
)
SYLLABLES = _SYLLABLES.split(" ")


def commune_names(count: int) -> list[str]:
    """`count` two-syllable names, unique even without diacritics."""
    # The sample injects dossiers of a commune from elsewhere ("Xã Hòa Bình"): it must stay unknown.
    seen: set[str] = {ascii_fold(UNKNOWN_COMMUNE.removeprefix("Xã ")).lower()}
    names: list[str] = []
    for first, second in permutations(SYLLABLES, 2):
        name = f"{first} {second}"
        folded = ascii_fold(name).lower()
        if folded not in seen:
            seen.add(folded)
            names.append(name)
        if len(names) == count:
            return names
    raise ValueError(f"only {len(names)} distinct names can be made, {count} asked")


def national_communes(count: int = NATIONAL_COMMUNES) -> list[dict[str, str]]:
    rows = []
    for n, name in enumerate(commune_names(count), start=1):
        province = f"Tỉnh {(n - 1) % PROVINCES + 1:02d}"
        unit = "phuong" if n % 5 == 0 else "xa"
        rows.append(
            {
                "commune_id": f"VN{n:04d}",
                "official_code": "",
                "commune_name": name,
                "unit_type": unit,
                "name_with_type": f"{'Phường' if unit == 'phuong' else 'Xã'} {name}",
                "province": province,
                "former_province": province,
            }
        )
    return rows


def national_calendar(years: tuple[int, ...] = YEARS) -> list[dict[str, str]]:
    """Quarters, 9 months and year of each year; forms due on the 5th after each quarter."""
    periods = []
    for year in years:
        for quarter in range(1, 5):
            starts = date(year, 3 * quarter - 2, 1)
            ends = (date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)) - timedelta(days=1)
            periods.append((f"{year}-Q{quarter}", "quarter", year, quarter, starts, ends))
        periods.append((f"{year}-9M", "nine_months", year, "", date(year, 1, 1), date(year, 9, 30)))
        periods.append((f"{year}-Y", "year", year, "", date(year, 1, 1), date(year, 12, 31)))
    return [_period(number, *period) for number, period in enumerate(periods, start=101)]


def _period(number: int, key: str, kind: str, year: int, quarter, starts: date, ends: date) -> dict[str, str]:
    due = ends + timedelta(days=5 if kind == "quarter" else 10)
    return {
        "period_key": key,
        "period_type": kind,
        "period_year": str(year),
        "period_quarter": str(quarter),
        "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat(),
        "request_letter": f"{number}/BKHCN-CĐS",
        "requested_on": (ends - timedelta(days=12)).isoformat(),
        "due_on": due.isoformat(),
        "expects_form": "true" if kind == "quarter" else "false",
    }


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_national_reference(folder: Path, communes: int = NATIONAL_COMMUNES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(SEEDS_DIR / name, folder / name)
    _write(folder / "ref_communes.csv", national_communes(communes))
    _write(folder / "ref_reporting_calendar.csv", national_calendar())
    write_aliases(folder)
    return folder
