"""Synthetic staffing lists: one row per official, with (fake) personal data to be pseudonymised."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from pipelines.tools.sample.xlsx import save_reproducibly

STAFFING_HEADERS = [
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Số điện thoại",
    "Số CCCD",
    "Đơn vị",
    "Phòng ban",
    "Chức vụ",
    "Trình độ chuyên môn",
    "Vai trò chuyển đổi số",
    "Tập huấn kỹ năng số",
    "Chứng thư số",
]

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Đinh", "Bùi", "Đỗ", "Y", "A"]
_MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Hữu", "Ngọc", "Quang", "Thị Thu", "Đức"]
_GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dung",
    "Hà",
    "Hải",
    "Hoa",
    "Hùng",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Phúc",
    "Quân",
    "Sương",
    "Tâm",
    "Thảo",
    "Trí",
    "Tuấn",
    "Vy",
    "Blêu",
    "Hreo",
    "Thiên",
]
_DEPARTMENTS = [
    "Văn phòng HĐND và UBND",
    "Phòng Văn hóa - Xã hội",
    "Phòng Kinh tế",
    "Trung tâm Phục vụ hành chính công",
]
_POSITIONS = ["Chuyên viên", "Công chức", "Phó Trưởng phòng", "Trưởng phòng", "Viên chức"]
_EDUCATION_OTHER = [
    "Đại học Luật",
    "Đại học Kinh tế",
    "Đại học Sư phạm",
    "Cao đẳng Kế toán",
    "Đại học Quản lý đất đai",
    "Đại học Hành chính",
]
_EDUCATION_IT = ["Đại học Công nghệ thông tin", "Cao đẳng Tin học", "Kỹ sư Khoa học máy tính"]


@dataclass(frozen=True)
class Official:
    commune_written: str
    name: str
    birth_date: date
    phone: str
    citizen_id: str
    department: str
    position: str
    education: str
    role: str  # "Chuyên trách" / "Kiêm nhiệm" / "Không"
    trained_from_quarter: int  # index of the first quarter the official counts as trained (99 = never)
    has_certificate: bool


def make_roster(
    rng: random.Random, commune_written: str, size: float, kon_tum: bool, has_dedicated: bool
) -> list[Official]:
    count = max(12, min(40, round(18 + 10 * size + rng.gauss(0, 3))))
    province_code = "062" if kon_tum else "051"
    officials = []
    for i in range(count):
        dedicated = has_dedicated and i == 0
        officials.append(
            Official(
                commune_written=commune_written,
                name=f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}",
                birth_date=date(1965, 1, 1) + timedelta(days=rng.randrange(0, 365 * 36)),
                phone="09" + "".join(str(rng.randrange(10)) for _ in range(8)),
                citizen_id=province_code + "".join(str(rng.randrange(10)) for _ in range(9)),
                department=_DEPARTMENTS[1] if dedicated else rng.choice(_DEPARTMENTS),
                position="Công chức" if dedicated else rng.choice(_POSITIONS),
                education=rng.choice(_EDUCATION_IT)
                if dedicated or rng.random() < 0.06
                else rng.choice(_EDUCATION_OTHER),
                role="Chuyên trách" if dedicated else ("Kiêm nhiệm" if rng.random() < 0.08 else "Không"),
                trained_from_quarter=rng.choice([0, 0, 1, 1, 2, 3, 99]) if not dedicated else 0,
                has_certificate=rng.random() < 0.7,
            )
        )
    return officials


def rehire(rng: random.Random, official: Official) -> Official:
    """Someone leaves and is replaced during the year; the replacement is not yet trained."""
    return replace(
        official,
        name=f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}",
        trained_from_quarter=99,
    )


def write_staffing(path: Path, officials: list[Official], quarter_idx: int) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách cán bộ")
    sheet.append(STAFFING_HEADERS)
    for n, o in enumerate(officials, start=1):
        sheet.append(
            [
                n,
                o.name,
                o.birth_date.strftime("%d/%m/%Y"),
                o.phone,
                o.citizen_id,
                o.commune_written,
                o.department,
                o.position,
                o.education,
                o.role,
                "Có" if o.trained_from_quarter <= quarter_idx else "Không",
                "Có" if o.has_certificate else "Không",
            ]
        )
    save_reproducibly(workbook, path)


def roster_figures(officials: list[Official], quarter_idx: int) -> dict[str, int]:
    return {
        "officials": len(officials),
        "trained": sum(o.trained_from_quarter <= quarter_idx for o in officials),
        "dedicated": sum(o.role == "Chuyên trách" for o in officials),
    }
