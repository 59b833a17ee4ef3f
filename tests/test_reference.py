import csv
import os
import unicodedata

import duckdb
import pytest

from pipelines.core.vietnamese import name_key, strip_address_tail
from pipelines.reference import (
    SEEDS_DIR,
    build_aliases,
    default_resolver,
    read_seed,
    tone_key,
    tone_on_second,
)


def test_commune_seed_has_the_96_units_with_unique_stable_keys():
    communes = read_seed("ref_communes")
    assert len(communes) == 96
    assert len({c["commune_id"] for c in communes}) == 96
    assert {c["unit_type"] for c in communes} == {"xa", "phuong", "dac_khu"}
    assert sum(c["unit_type"] == "xa" for c in communes) == 86


def test_committed_alias_seed_is_what_build_aliases_makes():
    with open(SEEDS_DIR / "ref_commune_aliases.csv", encoding="utf-8", newline="") as handle:
        committed = list(csv.DictReader(handle))
    assert committed == build_aliases(read_seed("ref_communes"))


def test_resolver_handles_prefixes_spelling_variants_and_nfd():
    resolve = default_resolver().resolve
    minh_long = resolve("Minh Long")
    assert minh_long is not None
    assert resolve("UBND xã Minh Long") == minh_long
    assert resolve("  xã   MINH long ") == minh_long
    dak_bla = resolve("Phường Đăk Bla")
    assert resolve("Đắk Bla") == dak_bla
    assert resolve(unicodedata.normalize("NFD", "UBND phường Đắk Bla")) == dak_bla
    assert resolve("Xã Ngọc Bay") == resolve("Ngọk Bay")


def test_resolver_refuses_unknown_and_ambiguous_names():
    resolve = default_resolver().resolve
    assert resolve("Xã Hòa Bình") is None  # another province
    assert resolve("Ba To") is None  # folds to both Ba Tô and Ba Tơ
    assert resolve("") is None


# Names as offices and systems write them: spaces doubled, no-break, thin or zero-width, a soft hyphen, NFD.
NAMES = [
    "Xã  ĐĂK Bla",
    unicodedata.normalize("NFD", "Phường Cẩm Thành"),
    " Đặc khu  Lý Sơn ",
    "Xã\u00a0Ba Gia",
    "\u200bXã Ba\u2009Gia\ufeff",
    "Phường Cẩm Th\u00adành\u202f",
    "Xã\tBa\x0bGia\u3000",
]


@pytest.fixture(scope="module")
def sql_name_key(tmp_path_factory) -> str:
    """The dbt macro `name_key` compiled for DuckDB, over one parameter."""
    return _compiled("select {{ name_key('?') }}", tmp_path_factory.mktemp("name_key"))


def _compiled(sql: str, tmp_path) -> str:
    import subprocess

    from pipelines.warehouse.manifest import dbt_command

    completed = subprocess.run(
        dbt_command("compile", "--inline", sql, "--quiet", "--target-path", str(tmp_path)),
        env={**os.environ, "CDS_WAREHOUSE_PATH": str(tmp_path / "w.duckdb")},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


def test_python_and_sql_name_keys_agree(sql_name_key):
    sql = sql_name_key
    con = duckdb.connect()
    for text in NAMES:
        assert con.execute(sql, [text]).fetchall() == [(name_key(text),)], repr(text)
    assert name_key("\u200bXã Ba\u2009Gia\ufeff") == name_key("Xã\u00a0Ba Gia") == "xã ba gia"
    # the Icelandic eth an old keyboard driver types for Đ, in Python and in SQL alike
    for text in ("UBND xã \u00d0ăk Tô", "xã \u00f0ăk tô"):
        assert name_key(text).endswith("xã đăk tô")
        assert con.execute(sql, [text]).fetchall() == [(name_key(text),)]
    assert (
        default_resolver().resolve("UBND xã \u00d0ăk Tô")
        == default_resolver().resolve("Xã Đăk Tô")
        is not None
    )


@pytest.fixture(scope="module")
def sql_unit_name_key(tmp_path_factory) -> str:
    """The dbt macro `unit_name_key` compiled for DuckDB, over one parameter."""
    return _compiled("select {{ unit_name_key('?') }}", tmp_path_factory.mktemp("unit_name_key"))


def test_a_district_or_province_after_the_name_is_cut_alike_in_python_and_sql(sql_unit_name_key):
    resolve = default_resolver().resolve
    con = duckdb.connect()
    written = {
        "UBND xã Minh Long, huyện Minh Long, tỉnh Quảng Ngãi": "ubnd xã minh long",
        "Xã Sơn Kỳ (huyện Sơn Hà cũ)": "xã sơn kỳ",
        "Xã Ba Gia - huyện Sơn Tịnh": "xã ba gia",
        "Phường Cẩm Thành, TP. Quảng Ngãi": "phường cẩm thành",
        "xã Vạn Tường, H. Bình Sơn": "xã vạn tường",
        "Xã Sơn Kỳ; Xã Vạn Tường": "xã sơn kỳ; xã vạn tường",  # two units: nothing cut, nothing guessed
        "Xã Đăk Bla": "xã đăk bla",
    }
    for text, key in written.items():
        assert strip_address_tail(name_key(text)) == key
        assert con.execute(sql_unit_name_key, [text]).fetchall() == [(key,)], text
    assert resolve("Xã Sơn Kỳ; Xã Vạn Tường") is None
    assert resolve("Xã Sơn Kỳ, huyện Sơn Hà") == resolve("Sơn Kỳ") is not None


def test_dossier_exports_match_the_spellings_the_resolver_accepts(sql_name_key):
    """A dossier export's commune column is matched in SQL on the alias seed (int_dossiers_classified):
    every spelling the Python resolver accepts through its fallbacks (unit abbreviated, tone mark on the
    other vowel, invisible characters) must be in the seed too."""
    sql = sql_name_key
    aliases = {row["alias_key"]: row["commune_id"] for row in read_seed("ref_commune_aliases")}
    resolve = default_resolver().resolve
    con = duckdb.connect()
    written = [
        "X. Ba Gia",
        "X.Ba Gia",
        "UBND X. Ba Gia",
        "P. Cẩm Thành",
        "ĐK. Lý Sơn",
        "Uỷ ban nhân dân xã Ba Gia",
        *NAMES,
    ]
    communes = read_seed("ref_communes")
    written += [f"Xã {tone_on_second(c['commune_name'])}" for c in communes if "ò" in c["commune_name"]]
    written += [f"Phường {tone_key(c['commune_name'])}" for c in communes if "ỳ" in c["commune_name"]]
    assert len(written) > len(NAMES) + 6  # the seed has names with the tone marks in both places
    for text in written:
        (key,) = con.execute(sql, [text]).fetchall()[0]
        assert resolve(text) is not None, text
        assert aliases.get(key) == resolve(text), text


def test_derived_spellings_never_resolve_to_two_communes():
    rows = build_aliases(read_seed("ref_communes"))
    assert len({r["alias_key"] for r in rows}) == len(rows)
    kinds = {r["alias_kind"] for r in rows}
    assert {"abbreviated", "tone", "other_unit"} <= kinds


def test_calendar_rolls_quarters_into_nine_months_and_year():
    periods = {p["period_key"]: p for p in read_seed("ref_reporting_calendar")}
    assert periods["2025-9M"]["starts_on"] == periods["2025-Q1"]["starts_on"]
    assert periods["2025-9M"]["ends_on"] == periods["2025-Q3"]["ends_on"]
    assert periods["2025-Y"]["ends_on"] == periods["2025-Q4"]["ends_on"]
