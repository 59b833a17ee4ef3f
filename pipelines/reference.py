"""Reference data kept as dbt seeds: communes, their name aliases, indicators and the reporting calendar.

The seeds are the source of truth (they are what the warehouse loads). The alias seed is derived from the
commune seed by `build_aliases`; a test keeps the committed file equal to what this function makes.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from pipelines.core.vietnamese import name_key, nfc, strip_address_tail, strip_unit_prefix
from pipelines.settings import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"  # the project's own seeds (CDS_REFERENCE_DIR may point elsewhere)
ALIAS_COLUMNS = ["alias_key", "commune_id", "alias", "alias_kind"]

_UNIT_WORDS = {"xa": "xã", "phuong": "phường", "dac_khu": "đặc khu"}
_UNIT_ABBREVIATIONS = {"xa": "X", "phuong": "P", "dac_khu": "ĐK"}
# Spelling variants seen in commune names across documents (Đăk/Đắk, Ngọk/Ngọc).
_SPELLING_VARIANTS = [("Đăk", "Đắk"), ("Đăk", "Đak"), ("Đăk", "Dak"), ("Ngọk", "Ngọc")]


def read_seed(name: str, seeds_dir: Path | None = None) -> list[dict[str, str]]:
    """A reference seed as rows, from `seeds_dir` (the project's seeds when None). The pipeline passes the
    folder its `ReferenceResource` holds (CDS_REFERENCE_DIR), which dbt's `seed-paths` reads too."""
    with open((seeds_dir or SEEDS_DIR) / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFD", nfc(text).replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _name_variants(name: str) -> Iterator[tuple[str, str]]:
    yield name, "name"
    for original, variant in _SPELLING_VARIANTS:
        if original in name:
            yield name.replace(original, variant), "spelling"


def build_aliases(communes: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """Every way a commune is written that should resolve to it, keyed on `name_key`.

    Plain name, the name with its unit word (`Xã`, `Phường`, `Đặc khu`), `UBND <unit> <name>`, spelling
    variants, and the name without diacritics only where that is unambiguous (`Ba Tô` and `Ba Tơ` both
    fold to `ba to`, so neither gets a folded alias). Then what offices also write, derived from those:
    the unit abbreviated (`X. Ba Gia`, `P.Cẩm Thành`, `UBND ĐK. Lý Sơn`), the other unit word (a ward
    that was a commune before the 2025 merger is still written `Xã …`) and the tone mark of `oa`, `oe`,
    `uy` on the other vowel (`Thuỳ` for `Thùy`, `Uỷ ban` for `Ủy ban`). A derived spelling that another
    commune already has, or that two communes would share, is left out: never a guess between two.
    The dossier exports are matched on this seed in SQL, so it holds what the Python resolver's fallbacks
    (`CommuneResolver.resolve`) find too.
    """
    communes = list(communes)
    folded_counts = Counter(name_key(ascii_fold(c["commune_name"])) for c in communes)
    rows: dict[str, dict[str, str]] = {}

    def add(alias: str, commune_id: str, kind: str) -> None:
        key = name_key(alias)
        existing = rows.get(key)
        if existing and existing["commune_id"] != commune_id:
            raise ValueError(
                f"alias {alias!r} would resolve to both {existing['commune_id']} and {commune_id}"
            )
        rows.setdefault(key, {"alias_key": key, "commune_id": commune_id, "alias": alias, "alias_kind": kind})

    derived: dict[str, list[tuple[str, str, str]]] = {}  # key → (alias, commune, kind) candidates
    for commune in communes:
        cid, unit = commune["commune_id"], _UNIT_WORDS[commune["unit_type"]]
        short = _UNIT_ABBREVIATIONS[commune["unit_type"]]
        for variant, kind in _name_variants(commune["commune_name"]):
            add(variant, cid, kind)
            add(f"{unit.capitalize()} {variant}", cid, "with_unit")
            add(f"UBND {unit} {variant}", cid, "committee")
            add(f"Ủy ban nhân dân {unit} {variant}", cid, "committee")
            for written in (f"{short}. {variant}", f"{short}.{variant}", f"UBND {short}. {variant}"):
                derived.setdefault(name_key(written), []).append((written, cid, "abbreviated"))
            for other in set(_UNIT_WORDS.values()) - {unit}:  # `Xã Đăk Bla` for the ward, since the merger
                written = f"{other.capitalize()} {variant}"
                derived.setdefault(name_key(written), []).append((written, cid, "other_unit"))
        folded = name_key(ascii_fold(commune["commune_name"]))
        if folded_counts[folded] == 1:
            add(folded, cid, "no_diacritics")
    for row in list(rows.values()):
        for written in {tone_key(row["alias"]), tone_on_second(row["alias"])} - {row["alias"]}:
            derived.setdefault(name_key(written), []).append((written, row["commune_id"], "tone"))
    for key, candidates in derived.items():
        if key not in rows and len({cid for _, cid, _ in candidates}) == 1:
            add(*min(candidates))
    return sorted(rows.values(), key=lambda r: (r["commune_id"], r["alias_kind"], r["alias_key"]))


def write_aliases(seeds_dir: Path = SEEDS_DIR) -> Path:
    path = seeds_dir / "ref_commune_aliases.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ALIAS_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(build_aliases(read_seed("ref_communes", seeds_dir)))
    return path


# The tone mark of `oa`, `oe` and `uy` sits on the first vowel in one spelling and on the second in the
# other (Hòa / Hoà, Thủy / Thuỷ), and offices use both; matched with the mark on the first. `quý` becomes
# `qúy` here too, which is harmless: both sides of a comparison go through it.
_TONE_ON_SECOND = {
    f"{first}{second}{mark}": f"{first}{mark}{second}"
    for first, second in ("oa", "oe", "uy", "Oa", "Oe", "Uy", "OA", "OE", "UY")
    for mark in ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
}

_TONE_ON_FIRST = {first: second for second, first in _TONE_ON_SECOND.items()}


def tone_key(key: str) -> str:
    """A name with the tone marks of `oa`, `oe`, `uy` on their first vowel."""
    return _moved_tones(key, _TONE_ON_SECOND)


def tone_on_second(key: str) -> str:
    """A name with the tone marks of `oa`, `oe`, `uy` on their second vowel (`Hoà`, `Thuỳ`)."""
    return _moved_tones(key, _TONE_ON_FIRST)


def _moved_tones(text: str, moves: dict[str, str]) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    for old, new in moves.items():
        decomposed = decomposed.replace(old, new)
    return unicodedata.normalize("NFC", decomposed)


@dataclass(frozen=True)
class CommuneResolver:
    """Resolves a commune name as written in a document to its `commune_id`, or None."""

    by_key: dict[str, str]

    @classmethod
    def from_seeds(cls, seeds_dir: Path | None = None) -> CommuneResolver:
        return cls(
            {row["alias_key"]: row["commune_id"] for row in read_seed("ref_commune_aliases", seeds_dir)}
        )

    def resolve(self, written: str | None) -> str | None:
        """The commune of a name as the aliases spell it; failing that, with the tone marks placed the
        other way (Thuỳ for Thùy), the unit abbreviated (X. Ba Gia, P. Cẩm Thành), or the former district
        and the province written after it (`xã Minh Long, huyện Minh Long, tỉnh Quảng Ngãi`). Never a
        guess between two communes (`Xã Sơn Kỳ; Xã Vạn Tường` names two: None)."""
        if not written or not written.strip():
            return None
        key = name_key(written)
        short = strip_address_tail(key)
        return self._resolve_key(key) or (self._resolve_key(short) if short != key else None)

    def _resolve_key(self, key: str) -> str | None:
        bare = strip_unit_prefix(key)
        found = self.by_key.get(key) or self.by_key.get(bare)
        if found:
            return found
        return self._by_tone.get(tone_key(bare)) or self._by_tone.get(tone_key(key))

    @cached_property
    def _by_tone(self) -> dict[str, str]:
        ids: dict[str, set[str]] = {}
        for key, commune_id in self.by_key.items():
            ids.setdefault(tone_key(key), set()).add(commune_id)
        return {key: next(iter(found)) for key, found in ids.items() if len(found) == 1}


@lru_cache(maxsize=4)
def resolver_for(seeds_dir: Path | None = None) -> CommuneResolver:
    """The resolver of a reference folder, read once per process."""
    return CommuneResolver.from_seeds(seeds_dir)


def default_resolver() -> CommuneResolver:
    """The resolver of the project's own seeds."""
    return resolver_for(None)
