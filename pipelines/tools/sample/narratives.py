"""Narrative reports for the sample: a few communes answer a quarter's request with a written report (TXT
or DOCX) that states the same figures as their form, in sentences, with a few defects of the genre.

Injected defects (listed in defects.csv): a rate printed cut instead of rounded next to its fraction
(`narrative_rate_mismatch`), VNeID parts that do not add up (`narrative_parts_mismatch`), dossier counts
higher than the system's, consistently (`narrative_vs_system`), and a report from a unit the province does
not have (`unknown_commune`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from pipelines.core.vietnamese import format_number, period_label
from pipelines.tools.sample.forms import printed_rate
from pipelines.tools.sample.reports import write_report

SHARE = 0.08  # of the (commune, quarter) forms, how many also come as a narrative report (at least 3)
UNIT_WORDS = {"xa": "xã", "phuong": "phường", "dac_khu": "đặc khu"}
# the defects the reports carry, first report first, with the indicator each defect is about
DEFECT_KINDS = {
    "narrative_rate_mismatch": "DOS_EARLY_OR_ON_TIME_RATE",
    "narrative_parts_mismatch": "",
    "narrative_vs_system": "DOS_RECEIVED",
}


@dataclass(frozen=True)
class NarrativeSlot:
    commune: dict[str, str]
    quarter: dict[str, str]
    values: dict[str, tuple[int | None, int | None]]  # the form's careful figures (numerator, denominator)


def _n(value: int) -> str:
    return format_number(value)


def draft(slot: NarrativeSlot, defect: str | None, rng: random.Random) -> tuple[str, str]:
    """The report's text (see pipelines.tools.sample.reports) and what the defect changed."""
    v = {code: num for code, (num, _) in slot.values.items()}
    villages = slot.values["CDT_VILLAGE_RATE"]
    detail = ""
    if defect == "narrative_vs_system":  # every count moved together, so the report still adds up
        delta = max(3, round(v["DOS_RECEIVED"] * rng.uniform(0.05, 0.15)))
        for code in ("DOS_RECEIVED", "DOS_ONLINE", "DOS_RESOLVED", "DOS_EARLY"):
            v[code] += delta
        detail = f"báo cáo nhiều hơn hệ thống {delta} hồ sơ"
    resolved, early_on_time = v["DOS_RESOLVED"], v["DOS_EARLY"] + v["DOS_ON_TIME"]
    on_time_rate = printed_rate(early_on_time, resolved)
    if defect == "narrative_rate_mismatch":
        cut = printed_rate(early_on_time, resolved, truncate=True)
        on_time_rate = cut if cut != on_time_rate else printed_rate(max(0, early_on_time - 2), resolved)
        detail = f"{early_on_time}/{resolved} in là {on_time_rate}"
    not_activated = v["VNEID_NOT_ACTIVATED"]
    if defect == "narrative_parts_mismatch":
        gap = rng.randint(5, 40)
        not_activated -= gap
        detail = f"đã kích hoạt + chưa kích hoạt thiếu {gap} so với đã cài đặt"
    name, unit = slot.commune["name_with_type"], UNIT_WORDS[slot.commune["unit_type"]]
    n = {code: _n(value) for code, value in v.items()}
    postal = f", {n['DOS_POSTAL']} hồ sơ qua bưu chính công ích" if v["DOS_POSTAL"] else ""
    text = f"""ỦY BAN NHÂN DÂN

{name.upper()}

BÁO CÁO
Kết quả thực hiện chuyển đổi số {period_label(slot.quarter["period_key"])}

Thực hiện Công văn số {slot.quarter["request_letter"]} của Sở Khoa học và Công nghệ, Ủy ban nhân dân
{name} báo cáo kết quả như sau:

1. Trong quý, {unit} tiếp nhận {n["DOS_RECEIVED"]} hồ sơ thủ tục hành chính; trong đó
{n["DOS_ONLINE"]} hồ sơ nộp trực tuyến, {n["DOS_IN_PERSON"]} hồ sơ nộp trực tiếp{postal}.

2. Đã giải quyết {_n(resolved)} hồ sơ, đang giải quyết {n["DOS_IN_PROGRESS"]} hồ sơ,
rút {n["DOS_WITHDRAWN"]} hồ sơ.

3. Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn: {_n(early_on_time)}/{_n(resolved)} = {on_time_rate}.

4. Đến cuối quý, {n["VNEID_INSTALLED"]} công dân đã cài đặt ứng dụng VNeID, trong đó
{n["VNEID_ACTIVATED"]} tài khoản đã kích hoạt và {_n(not_activated)} tài khoản chưa kích hoạt.

5. Có {_n(villages[0])}/{_n(villages[1])} thôn đã có Tổ công nghệ số cộng đồng.

6. Đang sử dụng {n["PC_COUNT"]} máy tính phục vụ công tác.

TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
"""
    return text, detail


def unknown_commune_draft(quarter: dict[str, str], written: str) -> str:
    return f"""ỦY BAN NHÂN DÂN

{written.upper()}

BÁO CÁO
Kết quả thực hiện chuyển đổi số {period_label(quarter["period_key"])}

Ủy ban nhân dân {written} báo cáo: trong quý tiếp nhận 120 hồ sơ thủ tục hành chính.
"""


def choose(slots: list[NarrativeSlot], rng: random.Random) -> list[NarrativeSlot]:
    return sorted(
        rng.sample(slots, min(len(slots), max(3, round(len(slots) * SHARE)))),
        key=lambda s: (s.quarter["period_key"], s.commune["commune_id"]),
    )


def write_narrative(path: Path, slot: NarrativeSlot, defect: str | None, rng: random.Random) -> str:
    text, detail = draft(slot, defect, rng)
    write_report(path, text)
    return detail
