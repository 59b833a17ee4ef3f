import csv
import unicodedata

import duckdb

from pipelines.core.vietnamese import name_key
from pipelines.reference import SEEDS_DIR, build_aliases, default_resolver, read_seed


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


def test_python_and_sql_name_keys_agree():
    samples = ["Xã  ĐĂK Bla", unicodedata.normalize("NFD", "Phường Cẩm Thành"), " Đặc khu  Lý Sơn "]
    con = duckdb.connect()
    for text in samples:
        sql = con.execute(
            "select trim(regexp_replace(lower(nfc_normalize(?)), '\\s+', ' ', 'g'))", [text]
        ).fetchone()[0]
        assert sql == name_key(text)


def test_calendar_rolls_quarters_into_nine_months_and_year():
    periods = {p["period_key"]: p for p in read_seed("ref_reporting_calendar")}
    assert periods["2025-9M"]["starts_on"] == periods["2025-Q1"]["starts_on"]
    assert periods["2025-9M"]["ends_on"] == periods["2025-Q3"]["ends_on"]
    assert periods["2025-Y"]["ends_on"] == periods["2025-Q4"]["ends_on"]
