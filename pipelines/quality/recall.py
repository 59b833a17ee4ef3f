"""How well the findings catch the defects the sample generator injected (`sources/defects.csv`).

Each detectable defect kind maps to the rule that should catch it and to the fields a finding must share
with the defect to count as catching it. Kinds the ingest repairs by design (name variants, NFD text,
Vietnamese number text) or that are not defects of the figures (a resubmission: the latest version is used
and the old one kept in `fct_reported_value_history`) are listed apart, with the reason.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# kind -> (rule codes, fields to match: commune, period, indicator, dossier)
DETECTABLE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "rate_mismatch": (("RATE_FRACTION_MISMATCH",), ("commune", "period", "indicator")),
    "parts_mismatch": (("PARTS_DO_NOT_ADD_UP",), ("commune", "period")),
    "numerator_gt_denominator": (("NUMERATOR_ABOVE_DENOMINATOR",), ("commune", "period", "indicator")),
    "report_vs_system": (("REPORT_VS_SYSTEM",), ("commune", "period", "indicator")),
    "outlier": (("OUTLIER_ACROSS_COMMUNES",), ("commune", "period", "indicator")),
    "impossible_date": (("DATE_IMPLAUSIBLE",), ("commune", "period")),
    "late_submission": (("SUBMISSION_LATE",), ("commune", "period")),
    "missing_submission": (("SUBMISSION_MISSING",), ("commune", "period")),
    "finished_before_received": (("DOSSIER_DATES_IMPOSSIBLE",), ("dossier",)),
    "duplicate_dossier_row": (("DOSSIER_DUPLICATE_ROW",), ("dossier",)),
    "unknown_commune": (("DOSSIER_UNKNOWN_COMMUNE", "INPUT_QUARANTINED"), ("written_commune", "file")),
    "narrative_rate_mismatch": (("NARRATIVE_RATE_FRACTION_MISMATCH",), ("commune", "period", "indicator")),
    "narrative_parts_mismatch": (("NARRATIVE_PARTS_DO_NOT_ADD_UP",), ("commune", "period")),
    "narrative_vs_system": (("NARRATIVE_VS_OTHER_SOURCES",), ("commune", "period", "indicator")),
}

HANDLED_WITHOUT_FINDING = {
    "commune_name_variant": "resolved through the alias table at ingest (the name as written is kept)",
    "nfd_text": "normalised to NFC at ingest",
    "text_number": "read as a Vietnamese number at ingest, the text kept beside the value",
    "resubmission": "the latest version is used; every version stays in fct_reported_value_history",
}


@dataclass
class KindScore:
    kind: str
    defects: int
    detected: int
    findings: int  # findings of the kind's rules
    unmatched_findings: int  # of those, how many match no injected defect

    @property
    def recall(self) -> float:
        return self.detected / self.defects if self.defects else 1.0


def read_defects(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _defect_fields(defect: dict[str, str]) -> dict[str, str | None]:
    dossier = defect["detail"].split(":", 1)[0] if defect["detail"] else None
    return {
        "commune": defect["commune"],
        "period": defect["period_key"],
        "indicator": defect["indicator_code"] or None,
        "dossier": dossier,
        "written_commune": defect["commune"],
        "file": defect["file"] or None,
    }


def _finding_fields(finding: dict) -> dict[str, str | None]:
    subject = finding.get("subject") or ""
    return {
        "commune": finding.get("commune_id"),
        "period": finding.get("period_key"),
        "indicator": finding.get("indicator_code"),
        "dossier": subject.split("|", 1)[0],
        "written_commune": f"{finding.get('observed_value')} {finding.get('evidence_text')}",
        "file": finding.get("evidence_file"),
    }


def _matches(defect: dict[str, str | None], finding: dict[str, str | None], fields: Iterable[str]) -> bool:
    for field in fields:
        if field == "written_commune":
            if not defect[field] or defect[field].casefold() not in (finding[field] or "").casefold():
                return False
        elif defect[field] is not None and defect[field] != finding[field]:
            return False
    return True


def score(findings: list[dict], defects: list[dict[str, str]]) -> list[KindScore]:
    """Recall and unmatched findings per detectable kind present in the defects or the findings."""
    scores = []
    for kind, (rules, fields) in DETECTABLE.items():
        injected = [_defect_fields(d) for d in defects if d["defect_kind"] == kind]
        flagged = [_finding_fields(f) for f in findings if f["rule_code"] in rules]
        detected = sum(any(_matches(d, f, fields) for f in flagged) for d in injected)
        unmatched = sum(not any(_matches(d, f, fields) for d in injected) for f in flagged)
        if injected or flagged:
            scores.append(KindScore(kind, len(injected), detected, len(flagged), unmatched))
    return scores


def markdown(scores: list[KindScore]) -> str:
    lines = [
        "| defect kind | injected | detected | recall | findings | not matching a defect |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {s.kind} | {s.defects} | {s.detected} | {s.recall:.0%} | {s.findings} | {s.unmatched_findings} |"
        for s in scores
    ]
    return "\n".join(lines)
