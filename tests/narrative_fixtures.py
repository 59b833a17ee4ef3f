"""The labelled narrative reports in tests/fixtures/narrative: built into a folder (DOCX and PDF from their
drafts, TXT as shipped) and scored against labels.csv (precision and recall of mapped figures)."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.narrative_corpus import _key, build_corpus, in_review, lands

FIXTURES = Path(__file__).parent / "fixtures" / "narrative"
LABELS = FIXTURES / "labels.csv"


def build_fixtures(out: Path) -> list[Path]:
    """Every fixture report as a file in `out`."""
    return build_corpus(FIXTURES, out)


def read_labels(split: str | None = None) -> list[dict[str, str]]:
    with open(LABELS, encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if split is None or row["split"] == split]


@dataclass(frozen=True)
class Score:
    labelled: int  # every labelled figure, mapped or not
    labelled_mapped: int
    predicted_mapped: int
    correct: int
    claims_found: int  # labelled figures (mapped or not) found at all, with their value
    found: int = 0  # labelled mapped figures that landed or wait in review with the right indicator

    @property
    def precision(self) -> float:
        return self.correct / self.predicted_mapped if self.predicted_mapped else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.labelled_mapped if self.labelled_mapped else 0.0

    @property
    def claim_recall(self) -> float:
        return self.claims_found / self.labelled if self.labelled else 0.0


def score(extractions: dict[str, object], labels: list[dict[str, str]]) -> Score:
    """Figures that land without review against labelled ones, as multisets of (file, indicator, value to
    0,01); recall counts a labelled figure waiting in the review queue with the right indicator as found."""
    files = {row["file"] for row in labels}

    def counted(keep) -> Counter:
        return Counter(
            (name, f.indicator_code, _key(f.value))
            for name, extraction in extractions.items()
            if name in files
            for f in extraction.figures
            if keep(f)
        )

    predicted, reviewed = counted(lands), counted(in_review)
    claims = Counter(
        (name, _key(f.value))
        for name, extraction in extractions.items()
        if name in files
        for f in extraction.figures
        if f.value is not None
    )
    expected = Counter(
        (r["file"], r["indicator_code"], _key(r["value"])) for r in labels if r["indicator_code"]
    )
    expected_claims = Counter((r["file"], _key(r["value"])) for r in labels)
    return Score(
        labelled=len(labels),
        labelled_mapped=sum(expected.values()),
        predicted_mapped=sum(predicted.values()),
        correct=sum((predicted & expected).values()),
        found=sum(((predicted + reviewed) & expected).values()),
        claims_found=sum((claims & expected_claims).values()),
    )
