"""How figures read in a published report, shared by the HTML and DOCX outputs (XLSX keeps typed cells)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from pipelines.core.vietnamese import format_date, format_number, format_percent, long_date
from pipelines.reports.model import (
    ANNEX_ROWS_PER_RULE,
    Figure,
    Finding,
    FindingGroup,
    Indicator,
    PeriodReport,
    change,
)

WITHHELD = "Tạm giữ"
PROVISIONAL_MARK = "(*)"
SOURCE_NAMES = {"system": "Hệ thống", "reported": "Xã báo cáo"}
SUBMISSION_STATUS = {"late": "Nộp trễ", "missing": "Chưa nộp"}
SEVERITY_NAMES = {"error": "Lỗi", "warning": "Cảnh báo"}


def change_text(indicator: Indicator, value: float | None, previous: float | None) -> str:
    """The change from the previous period (`model.change`), signed: percentage points for a rate
    (`+2,31 điểm %`), per cent for a count, stock or amount (`-3,2 %`); `-` where there is none."""
    delta = change(indicator, value, previous)
    if delta is None:
        return "-"
    return f"{_signed(delta, 2)} điểm %" if indicator.kind == "rate" else f"{_signed(delta, 1)} %"


def _signed(value: float, decimals: int) -> str:
    text = format_number(value, decimals)
    return text if text.startswith("-") or not text.strip("0,") else f"+{text}"


STATUS_LABELS = {"final": "Chính thức", "provisional": "Tạm thời"}  # manifest.json's `status`


@dataclass(frozen=True)
class PublicationStatus:
    """Whether an edition's figures are final, and the rule that decided it, in Vietnamese."""

    final: bool
    reason: str

    @property
    def code(self) -> str:
        return "final" if self.final else "provisional"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.code]

    @property
    def sentence(self) -> str:
        return f"Tình trạng số liệu: {self.label.lower()} ({self.reason})."


def publication_status(due_on: date | None, withheld_communes: int, issued_on: date) -> PublicationStatus:
    """Provisional while the communes' due date has not passed on the day the edition is issued (more forms
    may come), or while open errors hold figures back; final otherwise."""
    if due_on is not None and issued_on <= due_on:
        return PublicationStatus(
            False, f"lập trước khi hết hạn các xã gửi báo cáo ngày {format_date(due_on)}"
        )
    if withheld_communes:
        return PublicationStatus(
            False,
            f"{format_number(withheld_communes)} đơn vị có số liệu bị tạm giữ do còn lỗi chưa được xử lý",
        )
    due = f" ngày {format_date(due_on)}" if due_on is not None else ""
    return PublicationStatus(True, f"đã hết hạn gửi báo cáo{due} và không còn số liệu bị tạm giữ")


def status_of(report: PeriodReport, issued_on: date) -> PublicationStatus:
    return publication_status(report.period.due_on, len(report.withheld_communes), issued_on)


# How the dossier counts are defined, printed under the province table and in the workbook's «Thông tin».
DOSSIER_DEFINITIONS = (
    "Hồ sơ có ngày hoàn thành trước ngày tiếp nhận (lỗi ngày trên hệ thống) được tính là đã giải quyết "
    "nhưng không tính là trước hạn, đúng hạn hay trễ hạn: chúng được đếm riêng ở dòng «Số hồ sơ đã giải "
    "quyết có ngày hoàn thành trước ngày tiếp nhận», nên đã giải quyết = trước hạn + đúng hạn + trễ hạn + "
    "số hồ sơ đó; tỷ lệ giải quyết trước hạn, đúng hạn, trễ hạn tính trên tổng số hồ sơ trước hạn, đúng "
    "hạn và trễ hạn. Số hồ sơ đang giải quyết là số hồ sơ tiếp nhận trong kỳ chưa giải quyết xong vào "
    "cuối quý tiếp nhận; với kỳ 9 tháng và cả năm là tổng của các quý."
)


@dataclass(frozen=True)
class Letterhead:
    """The administrative header and closing blocks (Decree 30/2020 layout)."""

    authority: str = "UBND TỈNH QUẢNG NGÃI"
    issuer: str = "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
    number_symbol: str = "BC-SKHCN"
    place: str = "Quảng Ngãi"
    signer_role: str = "GIÁM ĐỐC"
    signer_name: str = "(Họ và tên người ký)"  # the draft's placeholder, replaced at signing
    recipients: tuple[str, ...] = (
        "UBND tỉnh (để báo cáo);",
        "Ban Chỉ đạo chuyển đổi số tỉnh;",
        "UBND các xã, phường, đặc khu;",
        "Lưu: VT, KH&ĐMST.",
    )

    @property
    def number_line(self) -> str:
        """Left blank for the clerk to number at signing, as drafts are."""
        return f"Số:        /{self.number_symbol}"

    def place_and_date(self, issued_on: date) -> str:
        return f"{self.place}, {long_date(issued_on)}"


LETTERHEAD = Letterhead()


def letterhead_for(signer_name: str = "", signer_role: str = "") -> Letterhead:
    """The letterhead with the signature block of the deployment's settings (defaults where empty)."""
    changes = {k: v for k, v in (("signer_name", signer_name), ("signer_role", signer_role)) if v}
    return replace(LETTERHEAD, **changes) if changes else LETTERHEAD


def figure_text(indicator: Indicator, figure: Figure | None, province: bool = False) -> str:
    """`73,24 %`, `1.059`, `Có`, `Tạm giữ`; a province figure that sums held figures gets `(*)`."""
    if figure is None or (figure.value is None and not figure.withheld):
        return "-"
    if figure.withheld:
        return WITHHELD
    if indicator.kind == "rate":
        text = format_percent(figure.value)
    elif indicator.kind == "flag":
        text = f"{format_number(figure.value)} đơn vị" if province else ("Có" if figure.value else "Không")
    else:
        text = format_number(figure.value)
    return f"{text} {PROVISIONAL_MARK}" if figure.provisional else text


def value_text(indicator: Indicator, value: float | None) -> str:
    """A bare value of the indicator (previous period)."""
    if value is None:
        return "-"
    if indicator.kind == "rate":
        return format_percent(value, 2 if value != int(value) else 0)
    return format_number(value)


def target_value_text(indicator: Indicator) -> str:
    """`80 %`; a count's or a flag's target is per commune: `1/đơn vị`."""
    if indicator.target is None:
        return "-"
    if indicator.kind == "rate":
        return value_text(indicator, indicator.target)
    return f"{format_number(indicator.target)}/đơn vị"


def fraction_text(figure: Figure | None) -> str:
    if figure is None or figure.withheld or figure.denominator is None or figure.numerator is None:
        return ""
    return f"{format_number(figure.numerator)}/{format_number(figure.denominator)}"


def lower_first(text: str) -> str:
    """`Quý III năm 2025` inside a sentence: `quý III năm 2025` (the numeral keeps its case)."""
    return text[:1].lower() + text[1:]


def finding_text(finding: Finding) -> str:
    """`Rule title – indicator: message`, as the annex and the scorecards print it."""
    indicator = f" – {finding.indicator_name}" if finding.indicator_name else ""
    return f"{finding.rule_title}{indicator}: {finding.message}"


def evidence_location(finding: Finding) -> str:
    """`submissions/2025-Q3/x.xlsx, dòng 20`; empty when the finding names no file."""
    if not finding.evidence_file:
        return ""
    return finding.evidence_file + (f", dòng {finding.evidence_row}" if finding.evidence_row else "")


def target_text(meets: bool | None) -> str:
    return {True: "Đạt", False: "Chưa đạt"}.get(meets, "-")


def group_heading(group: FindingGroup) -> str:
    severity = SEVERITY_NAMES[group.severity].lower()
    return f"{group.rule_title} ({severity}): {format_number(group.total)} trường hợp"


def more_findings_text(group: FindingGroup) -> str:
    return f"… và {format_number(group.hidden)} trường hợp khác cùng loại (xem tệp Excel của báo cáo)."


def more_rules_text(groups: list[FindingGroup]) -> str:
    """The line that counts the findings of the rules a scorecard has no room to print."""
    errors = sum(g.total for g in groups if g.severity == "error")
    warnings = sum(g.total for g in groups if g.severity != "error")
    parts = [
        f"{format_number(errors)} lỗi" if errors else "",
        f"{format_number(warnings)} cảnh báo" if warnings else "",
    ]
    return (
        f"… và {' và '.join(p for p in parts if p)} khác thuộc {format_number(len(groups))} loại kiểm tra "
        "(xem Phụ lục của báo cáo và tệp Excel kèm theo)."
    )


def annex_cut_text(report: PeriodReport) -> str:
    """The sentence saying the annex is cut, when some rule has more findings than it prints; else ""."""
    if not any(group.hidden for group in report.annex):
        return ""
    return (
        f"Mỗi loại in tối đa {ANNEX_ROWS_PER_RULE} trường hợp; danh sách đầy đủ ở trang «Chất lượng số liệu» "
        "của tệp Excel kèm theo."
    )
