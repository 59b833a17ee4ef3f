"""What `cds extract` prints of one narrative report: its facts, its figures with their roles and fates,
and the findings the narrative rules made of it (`quality/report_check.py` runs them), as text in
Vietnamese or as JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pipelines.core.vietnamese import format_date, format_number, period_label
from pipelines.narrative.extract import Extraction
from pipelines.reference import read_seed


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _commune_name(commune_id: str) -> str | None:
    """`Xã Sơn Kỳ`: the commune's name with its unit word, from the commune seed."""
    rows = read_seed("ref_communes")
    return next((r["name_with_type"] for r in rows if r["commune_id"] == commune_id), None)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def as_json(extraction: Extraction, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """The extraction as one JSON-ready object (dates ISO, numbers as numbers)."""
    facts = extraction.facts
    return {
        "file": str(extraction.path),
        "commune": {
            "id": facts.commune_id,
            "name": _commune_name(facts.commune_id),
            "written": facts.commune_written,
        },
        "period_key": facts.period_key,
        "period_written": facts.period_written,
        "coverage_start": _iso(facts.coverage_start),
        "coverage_end": _iso(facts.coverage_end),
        "request_letter": facts.request_letter,
        "signer_role": facts.signer_role,
        "figures": [
            {
                "indicator_code": f.indicator_code,
                "kind": f.kind,
                "value": _number(f.value),
                "numerator": _number(f.numerator),
                "denominator": _number(f.denominator),
                "rate": _number(f.rate),
                "is_percent": f.is_percent,
                "printed": f.printed,
                "noun": f.noun,
                "confidence": f.confidence,
                "role": f.role,
                "role_cue": f.role_cue or None,
                "needs_review": f.needs_review,
                "review_reason": f.review_reason or None,
                "position": f.position,
                "evidence": f.sentence,
            }
            for f in extraction.figures
        ],
        "findings": [
            {
                "rule_code": f["rule_code"],
                "severity": f["severity"],
                "message": f["message_vi"],
                "evidence": f["evidence_text"],
            }
            for f in findings
        ],
    }


def _figure_value(figure) -> str:
    if figure.value is None:
        return "-"
    text = format_number(figure.value, 0 if figure.value == figure.value.to_integral_value() else 2)
    return f"{text} %" if figure.is_percent else text


def _period_text(facts) -> str:
    if facts.period_key is None:
        return "không xác định"
    return f"{period_label(facts.period_key)} ({facts.period_key})"


def as_text(extraction: Extraction, findings: list[dict[str, Any]]) -> str:
    """The extraction for a person, in Vietnamese."""
    facts = extraction.facts
    name = _commune_name(facts.commune_id) or facts.commune_id
    lines = [
        f"Báo cáo: {extraction.path}",
        f"Đơn vị: {name} ({facts.commune_id}), ghi là «{facts.commune_written}»",
        f"Kỳ báo cáo: {_period_text(facts)}",
    ]
    if facts.period_key is None:
        lines.append("Lưu ý: tiêu đề không nêu kỳ báo cáo; khi nạp vào kho, báo cáo này sẽ bị cách ly.")
    if facts.coverage_start or facts.coverage_end:
        lines.append(
            f"Số liệu tính từ {format_date(facts.coverage_start)} đến {format_date(facts.coverage_end)}"
        )
    if facts.request_letter or facts.signer_role:
        lines.append(f"Trả lời công văn: {facts.request_letter or '-'}; người ký: {facts.signer_role or '-'}")
    lines.append(
        f"\nSố liệu: {len(extraction.figures)} tìm thấy, {len(extraction.mapped)} gắn được với chỉ tiêu"
    )
    for figure in extraction.figures:
        code = figure.indicator_code or "(chưa gắn chỉ tiêu)"
        confidence = format_number(figure.confidence, 2)
        lines.append(
            f"  {code:28} {_figure_value(figure):>14}  «{figure.printed}»  [{figure.position}, {confidence}]"
        )
        if figure.indicator_code:
            lines.append(f"      {_judgement(figure)}")
        lines.append(f"      {figure.sentence}")
    lines.append(f"\nPhát hiện: {len(findings)}")
    for finding in findings:
        severity = "LỖI" if finding["severity"] == "error" else "cảnh báo"
        lines.append(f"  [{severity}] {finding['rule_code']}: {finding['message_vi']}")
        if finding["evidence_text"]:
            lines.append(f"      {finding['evidence_text']}")
    return "\n".join(lines)


ROLE_VI = {
    "actual": "số thực hiện",
    "proposal": "đề xuất, kiến nghị",
    "target": "chỉ tiêu, kế hoạch",
    "change": "mức tăng, giảm",
    "subset": "một phần, ví dụ",
    "norm": "định mức",
    "received_in_period": "được cấp trong kỳ",
    "other": "số của kỳ hoặc đơn vị khác",
}


def _judgement(figure) -> str:
    """What becomes of a mapped figure: it lands, waits for review, or stays out of the marts."""
    cue = f" («{figure.role_cue}»)" if figure.role_cue else ""
    if figure.role != "actual":
        fate = "chờ xem xét" if figure.needs_review else "không đưa vào kho"
        return f"vai trò: {ROLE_VI[figure.role]}{cue}; {fate}"
    if figure.needs_review:
        return f"vai trò: {ROLE_VI['actual']}{cue}; chờ xem xét ({figure.review_reason})"
    return f"vai trò: {ROLE_VI['actual']}{cue}; đưa vào kho"
