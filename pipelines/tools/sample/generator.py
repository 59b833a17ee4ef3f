"""`cds sample`: write the three sources for a seed, with every injected defect listed in `defects.csv`.

Layout under the sources folder:
    submissions/template.xlsx                  the Department's empty form
    submissions/<period>/<commune>.xlsx        one form per commune and period (`_lan2` = resubmission)
    dossiers/dossiers_<period>.csv             the one-stop-shop export, one row per dossier
    dossiers/dossiers_<period>_kon-tum.xlsx    the last quarter of the former Kon Tum communes, as XLSX
    staffing/staffing_<period>.xlsx            one row per official
    narrative_reports/<period>/<commune>.txt   a few communes' written reports (TXT or DOCX) of a quarter
    defects.csv                                ground truth: what was injected, where
"""

from __future__ import annotations

import csv
import random
import shutil
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipelines.core.vietnamese import format_number
from pipelines.reference import ascii_fold, build_aliases, read_seed
from pipelines.tools.sample import narratives
from pipelines.tools.sample.dossiers import UNKNOWN_COMMUNE, DossierGenerator, DossierProfile
from pipelines.tools.sample.forms import Form, FormRow, printed_rate, write_form
from pipelines.tools.sample.reports import write_report
from pipelines.tools.sample.staffing import make_roster, rehire, roster_figures, write_staffing

DEFECT_COLUMNS = ["defect_kind", "commune", "period_key", "indicator_code", "file", "detail"]
SOURCE_FOLDERS = ("submissions", "dossiers", "staffing", "narrative_reports")
XLSX_MAX_ROWS = 50_000

# Form-level defects: the share of (commune, period) forms that carry each, at least one each.
FORM_DEFECT_SHARES = {
    "missing_submission": 0.03,
    "late_submission": 0.08,
    "resubmission": 0.03,
    "rate_mismatch": 0.05,
    "parts_mismatch": 0.04,
    "report_vs_system": 0.05,
    "numerator_gt_denominator": 0.02,
    "outlier": 0.02,
    "impossible_date": 0.02,
    "commune_name_variant": 0.10,
    "nfd_text": 0.05,
    "text_number": 0.10,
}


@dataclass(frozen=True)
class SampleConfig:
    seed: int = 2025
    communes: int = 96
    quarters: int = 4
    dossiers: int = 80_000
    clean: bool = False


# Dossier volume by quarter of the year (Q1 has Tết) and its growth from one quarter to the next.
SEASON = (0.86, 1.0, 1.02, 1.12)
GROWTH_PER_QUARTER = 0.03


def _dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _slug(name: str) -> str:
    return "-".join(ascii_fold(name).lower().split())


def form_stems(communes: list[dict]) -> dict[str, str]:
    """File-name stem of each commune's forms: its folded name, plus its id where two names fold alike
    (Ba Tô and Ba Tơ, Sơn Hà and Sơn Hạ would otherwise overwrite each other's file)."""
    slugs = Counter(_slug(c["commune_name"]) for c in communes)
    return {
        c["commune_id"]: _slug(c["commune_name"])
        + (f"-{c['commune_id'].lower()}" if slugs[_slug(c["commune_name"])] > 1 else "")
        for c in communes
    }


class SampleWriter:
    def __init__(self, out: Path, config: SampleConfig):
        self.out = out
        self.config = config
        self.rng = random.Random(config.seed)
        self.defects: list[dict[str, str]] = []
        communes = read_seed("ref_communes")
        if not 1 <= config.communes <= len(communes):
            raise ValueError(f"--communes must be between 1 and {len(communes)}")
        self.communes = communes[: config.communes]
        calendar = [p for p in read_seed("ref_reporting_calendar") if p["period_type"] == "quarter"]
        if not 1 <= config.quarters <= len(calendar):
            raise ValueError(f"--quarters must be between 1 and {len(calendar)}")
        self.quarters = calendar[: config.quarters]
        self.indicators = sorted(
            (i for i in read_seed("ref_indicators") if i["reported_on"] == "form"),
            key=lambda i: int(i["form_order"]),
        )
        self.variants = self._name_variants()
        self.traits = {c["commune_id"]: self._traits(c) for c in self.communes}
        self.profiles = self._profiles()
        self.form_values: dict[tuple[str, str], dict] = {}  # the careful figures of each form written
        self.picked: dict[str, set[tuple[str, str]]] = {}

    # ----------------------------------------------------------------- defects ground truth
    def defect(self, kind: str, commune: str, period: str, indicator: str, file: Path | str, detail: str):
        rel = str(file.relative_to(self.out)) if isinstance(file, Path) else file
        self.defects.append(
            dict(zip(DEFECT_COLUMNS, (kind, commune, period, indicator, rel, detail), strict=True))
        )

    def _pick_defects(self) -> dict[str, set[tuple[str, str]]]:
        """Which (commune, period) forms carry which defect; missing forms carry nothing else."""
        slots = [(c["commune_id"], q["period_key"]) for q in self.quarters for c in self.communes]
        if self.config.clean:
            return {kind: set() for kind in FORM_DEFECT_SHARES}
        picked: dict[str, set[tuple[str, str]]] = {}
        missing = set(
            self.rng.sample(slots, max(1, round(len(slots) * FORM_DEFECT_SHARES["missing_submission"])))
        )
        picked["missing_submission"] = missing
        present = [s for s in slots if s not in missing]
        for kind, share in FORM_DEFECT_SHARES.items():
            if kind != "missing_submission":
                picked[kind] = set(
                    self.rng.sample(present, min(len(present), max(1, round(len(slots) * share))))
                )
        return picked

    # ----------------------------------------------------------------- commune traits
    def _name_variants(self) -> dict[str, list[str]]:
        variants: dict[str, list[str]] = {}
        for alias in build_aliases(self.communes):
            if alias["alias_kind"] in ("spelling", "committee", "name", "no_diacritics"):
                variants.setdefault(alias["commune_id"], []).append(alias["alias"])
        return variants

    def _traits(self, commune: dict[str, str]) -> dict[str, float | bool | int]:
        rng = self.rng
        kon_tum = commune["former_province"] == "Kon Tum"
        ward = commune["unit_type"] != "xa"
        return {
            "kon_tum": kon_tum,
            "size": rng.lognormvariate(0, 0.7) * (1.8 if ward else 1.0),
            "p_online": rng.uniform(0.30, 0.65)
            if kon_tum
            else min(0.97, rng.uniform(0.70, 0.92) + 0.05 * ward),
            "p_postal": rng.uniform(0.0, 0.02),
            "p_withdrawn": rng.uniform(0.01, 0.03),
            "p_late": rng.uniform(0.005, 0.04) if kon_tum else rng.uniform(0.0, 0.01),
            "p_early": rng.uniform(0.85, 0.97),
            "p_intake": rng.uniform(0.75, 0.98) if kon_tum else rng.uniform(0.92, 1.0),
            "p_result": rng.uniform(0.85, 1.0),
            "p_paid": rng.uniform(0.15, 0.45) if kon_tum else rng.uniform(0.40, 0.80),
            "villages": rng.randint(5, 20),
            "pcs": rng.randint(20, 80),
            "vneid_base": rng.randint(2000, 9000),
            "has_dedicated": rng.random() > 0.15,
            "vc_ready": rng.random() > 0.2,
            "budget": rng.choice([50, 80, 100, 120, 150, 200]) * 1_000_000,
        }

    # ----------------------------------------------------------------- dossiers
    def _quarter_volumes(self) -> list[float]:
        """Dossiers per quarter: fewer around Tết, more before the year closes, and growth through the
        year; scaled so that the sample keeps `config.dossiers` in all."""
        raw = [SEASON[qi % 4] * (1 + GROWTH_PER_QUARTER) ** qi for qi in range(len(self.quarters))]
        return [self.config.dossiers * r / sum(raw) for r in raw]

    def _profiles(self) -> list[DossierProfile]:
        total_size = sum(t["size"] for t in self.traits.values())
        # its own stream, so that the rest of the sample (traits, defects) draws what it drew before
        noise = random.Random(f"{self.config.seed}-volumes")
        profiles = []
        for qi, (quarter, per_quarter) in enumerate(zip(self.quarters, self._quarter_volumes(), strict=True)):
            for ci, commune in enumerate(self.communes):
                t = self.traits[commune["commune_id"]]
                drift = 0.02 * qi  # online and digitisation improve through the year
                volume = per_quarter * t["size"] / total_size * noise.uniform(0.9, 1.1)
                profiles.append(
                    DossierProfile(
                        commune_idx=ci,
                        commune_id=commune["commune_id"],
                        written_name=commune["name_with_type"],
                        quarter_idx=qi,
                        period_key=quarter["period_key"],
                        starts_on=quarter["starts_on"],
                        ends_on=quarter["ends_on"],
                        dossiers=max(5, round(volume)),
                        p_online=min(0.98, t["p_online"] + drift),
                        p_postal=t["p_postal"],
                        p_withdrawn=t["p_withdrawn"],
                        p_late=t["p_late"],
                        p_early=t["p_early"],
                        p_intake_digitised=min(1.0, t["p_intake"] + drift),
                        p_result_digitised=t["p_result"],
                        p_paid_online=min(0.95, t["p_paid"] + drift),
                    )
                )
        return profiles

    def write_dossiers(self, generator: DossierGenerator) -> dict[str, dict[str, dict[str, int]]]:
        folder = self.out / "dossiers"
        kon_tum_ids = [c["commune_id"] for c in self.communes if self.traits[c["commune_id"]]["kon_tum"]]
        counts = {}
        for qi, quarter in enumerate(self.quarters):
            key = quarter["period_key"]
            generator.select_quarter(key)
            csv_path = folder / f"dossiers_{key}.csv"
            # Real XLSX exports are small (a sheet holds ~1M rows and openpyxl writes ~50k rows/s), so the
            # XLSX file is only written while it stays small; at scale that quarter is CSV like the others.
            last = qi == len(self.quarters) - 1
            xlsx_rows = sum(
                p.dossiers for p in self.profiles if p.period_key == key and p.commune_id in kon_tum_ids
            )
            xlsx_communes = kon_tum_ids if last and kon_tum_ids and xlsx_rows <= XLSX_MAX_ROWS else []
            csv_communes = [c["commune_id"] for c in self.communes if c["commune_id"] not in xlsx_communes]
            generator.write_csv(csv_path, None if not xlsx_communes else csv_communes)
            if xlsx_communes:
                generator.write_xlsx(folder / f"dossiers_{key}_kon-tum.xlsx", xlsx_communes)
            for kind, commune_id, code, detail in generator.dossier_defects(key):
                file = folder / (
                    f"dossiers_{key}_kon-tum.xlsx" if commune_id in xlsx_communes else f"dossiers_{key}.csv"
                )
                self.defect(kind, commune_id, key, "", file, f"{code}: {detail}")
            if generator.unknown_commune_count():
                self.defect(
                    "unknown_commune",
                    UNKNOWN_COMMUNE,
                    key,
                    "",
                    csv_path,
                    "hồ sơ của đơn vị không thuộc tỉnh trong tệp xuất",
                )
            counts[key] = generator.true_counts(key)
        return counts

    # ----------------------------------------------------------------- staffing
    def write_staffing(self) -> dict[str, dict[str, dict[str, int]]]:
        rosters = {
            c["commune_id"]: make_roster(
                self.rng,
                c["name_with_type"],
                self.traits[c["commune_id"]]["size"],
                self.traits[c["commune_id"]]["kon_tum"],
                self.traits[c["commune_id"]]["has_dedicated"],
            )
            for c in self.communes
        }
        figures: dict[str, dict[str, dict[str, int]]] = {}
        for qi, quarter in enumerate(self.quarters):
            if qi:  # a little turnover each quarter
                for cid, roster in rosters.items():
                    i = self.rng.randrange(1, len(roster))
                    roster[i] = rehire(self.rng, roster[i]) if self.rng.random() < 0.3 else roster[i]
                    rosters[cid] = roster
            everyone = [o for c in self.communes for o in rosters[c["commune_id"]]]
            write_staffing(self.out / "staffing" / f"staffing_{quarter['period_key']}.xlsx", everyone, qi)
            figures[quarter["period_key"]] = {cid: roster_figures(r, qi) for cid, r in rosters.items()}
        return figures

    # ----------------------------------------------------------------- forms
    def _form_rows(
        self, commune_id: str, qi: int, dossiers: dict[str, int], staff: dict[str, int]
    ) -> dict[str, tuple[int | None, int | None]]:
        """(numerator, denominator) per indicator code: what a careful commune would report."""
        t, rng = self.traits[commune_id], self.rng
        d = dossiers
        outgoing = max(20, round(rng.uniform(150, 400) * t["size"]))
        installed = round(t["vneid_base"] * (1 + 0.06 * qi))
        activated = round(installed * rng.uniform(0.86, 0.95))
        villages = t["villages"]
        with_team = villages if qi >= 1 or rng.random() < 0.7 else villages - rng.randint(1, 3)
        pcs = t["pcs"]
        return {
            "DOS_RECEIVED": (d["received"], None),
            "DOS_ONLINE": (d["online"], None),
            "DOS_IN_PERSON": (d["in_person"], None),
            "DOS_POSTAL": (d["postal"], None),
            "DOS_RESOLVED": (d["resolved"], None),
            "DOS_IN_PROGRESS": (d["in_progress"], None),
            "DOS_WITHDRAWN": (d["withdrawn"], None),
            "DOS_EARLY": (d["early"], None),
            "DOS_ON_TIME": (d["on_time"], None),
            "DOS_LATE": (d["late"], None),
            "DOS_ONLINE_RATE": (d["online"], d["received"]),
            "DOS_EARLY_OR_ON_TIME_RATE": (d["early"] + d["on_time"], d["resolved"]),
            "DOS_LATE_RATE": (d["late"], d["resolved"]),
            "DOS_INTAKE_DIGITISED_RATE": (d["intake_digitised"], d["received"]),
            "DOS_RESULT_DIGITISED_RATE": (d["result_digitised"], d["resolved"]),
            "DOS_ONLINE_PAYMENT_RATE": (d["paid_online"], d["fee_bearing"]),
            "DOC_ELECTRONIC_RATE": (outgoing - (rng.randint(0, 5) if rng.random() < 0.3 else 0), outgoing),
            "VNEID_INSTALLED": (installed, None),
            "VNEID_ACTIVATED": (activated, None),
            "VNEID_NOT_ACTIVATED": (installed - activated, None),
            "VNEID_ACTIVATION_RATE": (activated, installed),
            "CDT_TEAMS": (with_team + 1, None),
            "CDT_VILLAGE_RATE": (with_team, villages),
            "PC_COUNT": (pcs, None),
            "PC_ANTIMALWARE_RATE": (pcs - (rng.randint(1, 4) if rng.random() < 0.2 else 0), pcs),
            "PC_OLD_RATE": (round(pcs * rng.uniform(0.05, 0.2)), pcs),
            "DSIG_USB": (round(pcs * 0.9), None),
            "DSIG_SIM": (rng.randint(0, 10), None),
            "STAFF_BASIC_SKILLS_RATE": (staff["trained"], staff["officials"]),
            "IT_DEDICATED": (staff["dedicated"], None),
            "COV_4G_RATE": (None, None),
            "VC_TERMINAL_READY": (1 if t["vc_ready"] else 0, None),
            "DT_BUDGET": (t["budget"] if qi == len(self.quarters) - 1 else 0, None),
        }

    def _build_form(
        self, commune: dict[str, str], quarter: dict[str, str], values: dict, written: str, submitted: date
    ) -> Form:
        t = self.traits[commune["commune_id"]]
        form = Form(
            commune_written=written,
            period_key=quarter["period_key"],
            coverage_from=_dmy(date.fromisoformat(quarter["starts_on"])),
            coverage_to=_dmy(date.fromisoformat(quarter["ends_on"])),
            submitted_on=_dmy(submitted),
            commune_id=commune["commune_id"],
            due_on=_dmy(date.fromisoformat(quarter["due_on"])),
        )
        for ind in self.indicators:
            code = ind["indicator_code"]
            num, den = values[code]
            row = FormRow(code, ind["name_vi"], ind["unit"], num, den)
            if ind["kind"] == "rate" and den is not None:
                row.rate = printed_rate(num, den)
            if code == "COV_4G_RATE":
                row.rate = "100%" if not t["kon_tum"] else f"{format_number(self.rng.uniform(85, 99), 1)}%"
            if code == "VC_TERMINAL_READY":
                row.note = "Sẵn sàng" if num else "Chưa sẵn sàng"
            form.rows.append(row)
        return form

    def write_forms(self, dossier_counts, staff_figures) -> None:
        folder = self.out / "submissions"
        write_form(None, folder / "template.xlsx", self.indicators)
        picked = self.picked = self._pick_defects()
        stems = form_stems(self.communes)
        for cid, key in sorted(picked["missing_submission"]):
            self.defect("missing_submission", cid, key, "", "", "xã không gửi báo cáo")
        for qi, quarter in enumerate(self.quarters):
            key = quarter["period_key"]
            due = date.fromisoformat(quarter["due_on"])
            for commune in self.communes:
                cid = commune["commune_id"]
                slot = (cid, key)
                if slot in picked["missing_submission"]:
                    continue
                path = folder / key / f"{stems[cid]}_{key}.xlsx"
                values = self._form_rows(
                    cid, qi, dossier_counts[key].get(cid, _zero_counts()), staff_figures[key][cid]
                )
                self.form_values[slot] = values
                submitted = due - timedelta(days=self.rng.randint(0, 10))
                if slot in picked["late_submission"]:
                    late_by = self.rng.randint(1, 20)
                    submitted = due + timedelta(days=late_by)
                    self.defect("late_submission", cid, key, "", path, f"gửi trễ {late_by} ngày")
                written = commune["name_with_type"]
                if slot in picked["commune_name_variant"]:
                    written = self.rng.choice(self.variants[cid])
                    self.defect("commune_name_variant", cid, key, "", path, f"tên đơn vị ghi là '{written}'")
                form = self._build_form(commune, quarter, values, written, submitted)
                self._inject(form, slot, picked, path)
                if slot in picked["resubmission"]:
                    self._write_resubmission(form, cid, path, submitted)
                else:
                    write_form(form, path, self.indicators)
        self._write_unknown_commune_form(folder)

    def _inject(self, form: Form, slot: tuple[str, str], picked, path: Path) -> None:
        cid, key = slot
        rng = self.rng
        if slot in picked["report_vs_system"]:
            delta = max(3, round(form.row("DOS_RECEIVED").numerator * rng.uniform(0.05, 0.15)))
            for code in ("DOS_RECEIVED", "DOS_ONLINE", "DOS_RESOLVED", "DOS_EARLY"):
                form.row(code).numerator += delta
            self._recompute_rates(form)
            self.defect(
                "report_vs_system",
                cid,
                key,
                "DOS_RECEIVED",
                path,
                f"báo cáo nhiều hơn hệ thống {delta} hồ sơ",
            )
        if slot in picked["parts_mismatch"]:
            gap = rng.randint(5, 40)
            form.row("VNEID_NOT_ACTIVATED").numerator -= gap
            self.defect(
                "parts_mismatch",
                cid,
                key,
                "VNEID_NOT_ACTIVATED",
                path,
                f"đã kích hoạt + chưa kích hoạt thiếu {gap} so với đã cài đặt",
            )
        if slot in picked["numerator_gt_denominator"]:
            row = form.row("PC_ANTIMALWARE_RATE")
            row.numerator = row.denominator + rng.randint(2, 6)
            row.rate = printed_rate(row.numerator, row.denominator)
            self.defect(
                "numerator_gt_denominator",
                cid,
                key,
                "PC_ANTIMALWARE_RATE",
                path,
                f"tử số {row.numerator} lớn hơn mẫu số {row.denominator}",
            )
        if slot in picked["rate_mismatch"]:
            self._inject_rate_mismatch(form, slot, path)
        if slot in picked["outlier"]:
            row = form.row("DT_BUDGET")
            row.numerator = (row.numerator or 100_000_000) * 10
            self.defect(
                "outlier",
                cid,
                key,
                "DT_BUDGET",
                path,
                f"kinh phí {format_number(row.numerator)}đ (thừa số 0)",
            )
        if slot in picked["impossible_date"]:
            form.coverage_to = form.coverage_to[:-4] + "20" + form.coverage_to[-3:]
            self.defect(
                "impossible_date", cid, key, "", path, f"ngày kết thúc số liệu ghi là {form.coverage_to}"
            )
        if slot in picked["text_number"]:
            for row in form.rows:
                if isinstance(row.numerator, int) and row.numerator >= 1000:
                    row.numerator = format_number(row.numerator)
                if isinstance(row.denominator, int) and row.denominator >= 1000:
                    row.denominator = format_number(row.denominator)
            form.row("DT_BUDGET").numerator = f"{format_number(_as_int(form.row('DT_BUDGET').numerator))}đ"
            form.row("PC_COUNT").numerator = f"{_as_int(form.row('PC_COUNT').numerator):02d}"
            self.defect(
                "text_number", cid, key, "", path, "số ghi dạng văn bản kiểu Việt Nam (1.059; 100.000.000đ)"
            )
        if slot in picked["nfd_text"]:
            form.nfd = True
            self.defect("nfd_text", cid, key, "", path, "văn bản ở dạng Unicode tổ hợp (NFD)")

    def _inject_rate_mismatch(self, form: Form, slot, path: Path) -> None:
        """Print one rate truncated instead of rounded (543/544 → 99,81%), or plainly wrong."""
        candidates = [
            r for r in form.rows if r.rate and r.denominator and r.indicator_code.startswith("DOS_")
        ]
        for row in candidates:
            num, den = _as_int(row.numerator), _as_int(row.denominator)
            truncated = printed_rate(num, den, truncate=True)
            if truncated != row.rate:
                row.rate = truncated
                break
        else:
            row = form.row("DOS_ONLINE_RATE")
            num, den = _as_int(row.numerator), _as_int(row.denominator)
            row.rate = printed_rate(min(den, num + max(1, den // 50)), den)
        self.defect(
            "rate_mismatch", slot[0], slot[1], row.indicator_code, path, f"{num}/{den} in là {row.rate}"
        )

    @staticmethod
    def _recompute_rates(form: Form) -> None:
        pairs = {
            "DOS_ONLINE_RATE": ("DOS_ONLINE", "DOS_RECEIVED"),
            "DOS_EARLY_OR_ON_TIME_RATE": (None, "DOS_RESOLVED"),
        }
        for code, (num_code, den_code) in pairs.items():
            row = form.row(code)
            if num_code:
                row.numerator = form.row(num_code).numerator
            else:
                row.numerator = form.row("DOS_EARLY").numerator + form.row("DOS_ON_TIME").numerator
            row.denominator = form.row(den_code).numerator
            row.rate = printed_rate(row.numerator, row.denominator)
        for code in ("DOS_LATE_RATE", "DOS_RESULT_DIGITISED_RATE"):
            form.row(code).denominator = form.row("DOS_RESOLVED").numerator
            form.row(code).rate = printed_rate(form.row(code).numerator, form.row(code).denominator)
        form.row("DOS_INTAKE_DIGITISED_RATE").denominator = form.row("DOS_RECEIVED").numerator
        row = form.row("DOS_INTAKE_DIGITISED_RATE")
        row.rate = printed_rate(row.numerator, row.denominator)

    def _write_resubmission(self, form: Form, cid: str, path: Path, submitted: date) -> None:
        """First version with a typo in the received count, then the corrected one a few days later."""
        corrected_on = submitted + timedelta(days=self.rng.randint(2, 9))
        received = form.row("DOS_RECEIVED")
        true_received = received.numerator
        typo = _as_int(true_received) + self.rng.choice([-100, 100, 10, -10])
        received.numerator = typo
        write_form(form, path, self.indicators)
        received.numerator = true_received
        form.submitted_on = _dmy(corrected_on)
        second = path.with_name(path.stem + "_lan2.xlsx")
        write_form(form, second, self.indicators)
        self.defect(
            "resubmission",
            cid,
            form.period_key,
            "DOS_RECEIVED",
            second,
            f"bản đầu ghi {typo} hồ sơ tiếp nhận, bản sửa ngày {form.submitted_on} ghi {true_received}",
        )

    def _write_unknown_commune_form(self, folder: Path) -> None:
        if self.config.clean:
            return
        quarter = self.quarters[0]
        form = Form(
            commune_written=f"UBND {UNKNOWN_COMMUNE.lower()}",
            period_key=quarter["period_key"],
            coverage_from=_dmy(date.fromisoformat(quarter["starts_on"])),
            coverage_to=_dmy(date.fromisoformat(quarter["ends_on"])),
            submitted_on=_dmy(date.fromisoformat(quarter["due_on"])),
        )
        form.rows = [FormRow("DOS_RECEIVED", "Tổng số hồ sơ TTHC tiếp nhận", "hồ sơ", 120)]
        path = folder / quarter["period_key"] / f"hoa-binh_{quarter['period_key']}.xlsx"
        write_form(form, path, self.indicators)
        self._unknown_commune_defect(quarter, path, "biểu mẫu")

    def write_narratives(self) -> None:
        """A few forms' figures again as narrative reports; a random stream of their own, so the other
        sources are byte-identical with or without them. Slots whose form carries a defect that changes a
        figure are left out (the report would disagree with its own form by construction)."""
        rng = random.Random(self.config.seed + 1)
        folder = self.out / "narrative_reports"
        changed = ("report_vs_system", "parts_mismatch", "numerator_gt_denominator")
        excluded = set().union(*(self.picked.get(kind, set()) for kind in changed))
        communes = {c["commune_id"]: c for c in self.communes}
        quarters = {q["period_key"]: q for q in self.quarters}
        slots = [
            narratives.NarrativeSlot(communes[cid], quarters[key], values)
            for (cid, key), values in sorted(self.form_values.items())
            if (cid, key) not in excluded
        ]
        stems = form_stems(self.communes)
        kinds = [] if self.config.clean else list(narratives.DEFECT_KINDS)
        for n, slot in enumerate(narratives.choose(slots, rng)):
            cid, key = slot.commune["commune_id"], slot.quarter["period_key"]
            defect = kinds[n] if n < len(kinds) else None
            path = folder / key / f"{stems[cid]}_{key}.{'docx' if n % 2 else 'txt'}"
            detail = narratives.write_narrative(path, slot, defect, rng)
            if defect:
                self.defect(defect, cid, key, narratives.DEFECT_KINDS[defect], path, detail)
        if not self.config.clean:
            quarter = self.quarters[-1]
            path = folder / quarter["period_key"] / f"hoa-binh_{quarter['period_key']}.txt"
            write_report(path, narratives.unknown_commune_draft(quarter, UNKNOWN_COMMUNE))
            self._unknown_commune_defect(quarter, path, "báo cáo")

    def _unknown_commune_defect(self, quarter: dict[str, str], path: Path, document: str) -> None:
        self.defect(
            "unknown_commune",
            UNKNOWN_COMMUNE,
            quarter["period_key"],
            "",
            path,
            f"{document} của đơn vị không thuộc tỉnh Quảng Ngãi",
        )

    def write_manifest(self) -> Path:
        path = self.out / "defects.csv"
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=DEFECT_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(sorted(self.defects, key=lambda d: tuple(d.values())))
        return path


def _as_int(value: int | str | None) -> int:
    if isinstance(value, int):
        return value
    digits = "".join(ch for ch in unicodedata.normalize("NFC", str(value or "0")) if ch.isdigit())
    return int(digits or 0)


def _zero_counts() -> dict[str, int]:
    keys = [
        "received",
        "online",
        "in_person",
        "postal",
        "resolved",
        "in_progress",
        "withdrawn",
        "early",
        "on_time",
        "late",
        "intake_digitised",
        "result_digitised",
        "fee_bearing",
        "paid_online",
    ]
    return dict.fromkeys(keys, 0)


def generate_sample(out: Path, config: SampleConfig = SampleConfig()) -> Path:
    """Write a complete sample into `out` (its source folders are replaced). Returns the defects manifest."""
    out.mkdir(parents=True, exist_ok=True)
    for name in (*SOURCE_FOLDERS, "defects.csv"):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    writer = SampleWriter(out, config)
    generator = DossierGenerator(writer.profiles, config.seed, defects=not config.clean)
    try:
        counts = writer.write_dossiers(generator)
    finally:
        generator.close()
    staff = writer.write_staffing()
    writer.write_forms(counts, staff)
    writer.write_narratives()
    return writer.write_manifest()
