"""Labelled corpora of narrative reports written blind (by sessions that had not seen the reader), scored as
the Department would judge the reader: what lands in the warehouse without review must be right, and what
is labelled must either land or wait in the review queue with the right indicator.

Each corpus folder holds reports (`.txt`, or `.docx.draft` / `.pdf.draft` built into DOCX / PDF) and
`labels.csv` (`file,indicator_code,value,printed,role,note`), one row per figure occurrence: every figure,
with its indicator when it measures one (whatever its role) and the role of its statement.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pipelines.tools.sample.reports import write_report

FIXTURES = Path(__file__).parent / "fixtures"
DEV = FIXTURES / "narrative_real"
HOLDOUT = FIXTURES / "narrative_holdout"
BLIND3 = FIXTURES / "narrative_blind3"
BLIND4 = FIXTURES / "narrative_blind4"
BLIND5 = FIXTURES / "narrative_blind5"
BLIND6 = FIXTURES / "narrative_blind6"
BLIND7 = FIXTURES / "narrative_blind7"
BLIND8 = FIXTURES / "narrative_blind8"
BLIND9 = FIXTURES / "narrative_blind9"
BLIND10 = FIXTURES / "narrative_blind10"
BLIND11 = FIXTURES / "narrative_blind11"
BLIND12 = FIXTURES / "narrative_blind12"
BLIND13 = FIXTURES / "narrative_blind13"
BLIND14 = FIXTURES / "narrative_blind14"
BLIND15 = FIXTURES / "narrative_blind15"
BLIND16 = FIXTURES / "narrative_blind16"
BLIND17 = FIXTURES / "narrative_blind17"
BLIND18 = FIXTURES / "narrative_blind18"
BLIND19 = FIXTURES / "narrative_blind19"
BLIND20 = FIXTURES / "narrative_blind20"
BLIND21 = FIXTURES / "narrative_blind21"
BLIND22 = FIXTURES / "narrative_blind22"
BLIND23 = FIXTURES / "narrative_blind23"
BLIND24 = FIXTURES / "narrative_blind24"
BLIND25 = FIXTURES / "narrative_blind25"
BLIND26 = FIXTURES / "narrative_blind26"
BLIND27 = FIXTURES / "narrative_blind27"
BLIND28 = FIXTURES / "narrative_blind28"
BLIND29 = FIXTURES / "narrative_blind29"
BLIND30 = FIXTURES / "narrative_blind30"
BLIND31 = FIXTURES / "narrative_blind31"
BLIND32 = FIXTURES / "narrative_blind32"
BLIND33 = FIXTURES / "narrative_blind33"
BLIND34 = FIXTURES / "narrative_blind34"
BLIND35 = FIXTURES / "narrative_blind35"
BLIND36 = FIXTURES / "narrative_blind36"
BLIND37 = FIXTURES / "narrative_blind37"
BLIND38 = FIXTURES / "narrative_blind38"
BLIND39 = FIXTURES / "narrative_blind39"
BLIND40 = FIXTURES / "narrative_blind40"
# Every labelled set, in the order they were written
LABELLED_SETS = (
    DEV,
    HOLDOUT,
    BLIND3,
    BLIND4,
    BLIND5,
    BLIND6,
    BLIND7,
    BLIND8,
    BLIND9,
    BLIND10,
    BLIND11,
    BLIND12,
    BLIND13,
    BLIND14,
    BLIND15,
    BLIND16,
    BLIND17,
    BLIND18,
    BLIND19,
    BLIND20,
    BLIND21,
    BLIND22,
    BLIND23,
    BLIND24,
    BLIND25,
    BLIND26,
    BLIND27,
    BLIND28,
    BLIND29,
    BLIND30,
    BLIND31,
    BLIND32,
    BLIND33,
    BLIND34,
    BLIND35,
    BLIND36,
    BLIND37,
    BLIND38,
    BLIND39,
    BLIND40,
)


def build_corpus(folder: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for source in sorted(folder.iterdir()):
        if source.suffix == ".draft":
            paths.append(write_report(out / source.stem, source.read_text(encoding="utf-8")))
        elif source.suffix == ".txt":
            paths.append(Path(shutil.copy(source, out / source.name)))
    return paths


def read_corpus_labels(folder: Path) -> list[dict[str, str]]:
    with open(folder / "labels.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _key(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def lands(figure) -> bool:
    """Reaches the marts without anyone looking: mapped, an actual figure, not waiting for review."""
    return bool(
        figure.indicator_code
        and getattr(figure, "role", "actual") == "actual"
        and not getattr(figure, "needs_review", False)
    )


def in_review(figure) -> bool:
    return bool(figure.indicator_code and getattr(figure, "needs_review", False))


@dataclass(frozen=True)
class CorpusScore:
    expected: int  # labelled actual figures of an indicator
    landed: int
    landed_correct: int
    reviewed: int
    found: int  # expected figures that landed or wait in review with the right indicator and value
    not_actual_landed: int  # landed figures that match a labelled proposal, target, change …
    wrong: tuple[tuple[str, str, Decimal], ...]  # landed and not labelled so
    missed: tuple[tuple[str, str, Decimal], ...]

    @property
    def precision(self) -> float:
        return self.landed_correct / self.landed if self.landed else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 0.0

    def line(self) -> str:
        return (
            f"precision of landed {self.precision:.3f} ({self.landed_correct}/{self.landed}), recall with "
            f"review {self.recall:.3f} ({self.found}/{self.expected}), in review {self.reviewed}, "
            f"non-actual landed {self.not_actual_landed}"
        )


def score_corpus(extractions: dict[str, object], labels: list[dict[str, str]]) -> CorpusScore:
    files = {row["file"].removesuffix(".draft") for row in labels}

    def figures():
        for name, extraction in extractions.items():
            if name in files:
                yield from ((name, f) for f in extraction.figures)

    landed = Counter((n, f.indicator_code, _key(f.value)) for n, f in figures() if lands(f))
    reviewed = Counter((n, f.indicator_code, _key(f.value)) for n, f in figures() if in_review(f))
    expected = Counter(
        (r["file"].removesuffix(".draft"), r["indicator_code"], _key(r["value"]))
        for r in labels
        if r["indicator_code"] and r["role"] == "actual"
    )
    other_roles = Counter(
        (r["file"].removesuffix(".draft"), r["indicator_code"], _key(r["value"]))
        for r in labels
        if r["indicator_code"] and r["role"] != "actual"
    )
    correct = landed & expected
    found = (landed + reviewed) & expected
    return CorpusScore(
        expected=sum(expected.values()),
        landed=sum(landed.values()),
        landed_correct=sum(correct.values()),
        reviewed=sum(reviewed.values()),
        found=sum(found.values()),
        not_actual_landed=sum(((landed - expected) & other_roles).values()),
        wrong=tuple(sorted((landed - expected).elements())),
        missed=tuple(sorted((expected - (landed + reviewed)).elements())),
    )
