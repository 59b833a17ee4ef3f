"""Communes' narrative reports (DOCX, PDF, TXT under `sources/reports/`) landed as what was extracted.

Each report is one row of `raw.narrative_reports` (commune, period, coverage dates, request letter, signer),
each figure found one row of `raw.narrative_figures` (mapped to an indicator or kept as an unmapped claim,
with the sentence it came from) and each date it cites one row of `raw.narrative_dates`. A report that
cannot be read, or whose commune or period cannot be told, is quarantined whole with the reason; the raw
file is archived either way. The same tables, in an in-memory DuckDB, let `cds extract` run the very rules
the pipeline runs (`findings_of`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.core.rows import FIGURE, RATE, insert_rows, use_column_types
from pipelines.ingest.register import FileResult, IngestError, ingest_file, symlink_error
from pipelines.narrative.extract import Extraction, extract_report

SOURCE_KIND = "narrative_report"

RAW_DDL = f"""
create schema if not exists raw;
create table if not exists raw.narrative_reports (
    file_sha256 varchar primary key,
    source_file varchar not null,
    file_kind varchar not null,
    commune_id varchar not null,
    commune_written varchar not null,
    period_key varchar,  -- never null from the ingest (it refuses such a report); `cds extract` shows one
    period_written varchar,
    coverage_start date,
    coverage_end date,
    request_letter varchar,
    signer_role varchar,
    blocks integer not null,
    figures_found integer not null,
    figures_mapped integer not null,
    ingested_at timestamp not null
);
create table if not exists raw.narrative_figures (
    file_sha256 varchar not null,
    figure_no integer not null,
    block_kind varchar not null,
    block_index integer not null,
    position varchar not null,
    figure_kind varchar not null,
    printed varchar not null,
    indicator_code varchar,
    confidence double not null,
    tied_indicators varchar,
    value {FIGURE},
    numerator {FIGURE},
    numerator_text varchar,
    denominator {FIGURE},
    denominator_text varchar,
    rate {RATE},
    rate_text varchar,
    rate_decimals integer,
    noun varchar,
    evidence varchar not null,
    role varchar,  -- actual | proposal | target | change | subset | norm | received_in_period | other
    role_cue varchar,
    needs_review boolean,
    review_reason varchar,
    primary key (file_sha256, figure_no)
);
-- Figures landed by a reader that knew no roles (before they existed) have none: they wait for review.
alter table raw.narrative_figures add column if not exists role varchar;
alter table raw.narrative_figures add column if not exists role_cue varchar;
alter table raw.narrative_figures add column if not exists needs_review boolean;
alter table raw.narrative_figures add column if not exists review_reason varchar;
create table if not exists raw.narrative_dates (
    file_sha256 varchar not null,
    date_no integer not null,
    position varchar not null,
    printed varchar not null,
    cited_day integer,
    cited_month integer,
    cited_year bigint not null,
    cited_on date,
    evidence varchar not null,
    primary key (file_sha256, date_no)
);
"""


def refuse_without_period(extraction: Extraction) -> Extraction:
    if extraction.facts.period_key is None:
        raise IngestError(
            extraction.path,
            None,
            "period",
            "không xác định được kỳ báo cáo (quý, 6 tháng, 9 tháng, năm) ở tiêu đề báo cáo",
            "no reporting period in the title",
            reason="period_not_found",
        )
    return extraction


def land_extraction(con: duckdb.DuckDBPyConnection, sha: str, extraction: Extraction) -> int:
    """Write one extraction into the raw tables; returns the number of figures landed."""
    facts, document = extraction.facts, extraction.document
    con.execute(
        f"insert into raw.narrative_reports values ({', '.join(['?'] * 14)}, now()::timestamp)",
        [
            sha,
            str(extraction.path),
            document.kind,
            facts.commune_id,
            facts.commune_written,
            facts.period_key,
            facts.period_written,
            facts.coverage_start,
            facts.coverage_end,
            facts.request_letter,
            facts.signer_role,
            len(document.blocks),
            len(extraction.figures),
            len(extraction.mapped),
        ],
    )
    insert_rows(
        con,
        "raw.narrative_figures",
        (
            [
                sha,
                n,
                f.block.kind,
                f.block.index,
                f.position,
                f.kind,
                f.printed,
                f.indicator_code,
                f.confidence,
                "|".join(f.candidates) or None,
                f.value,
                f.numerator,
                f.numerator_text,
                f.denominator,
                f.denominator_text,
                f.rate,
                f.rate_text,
                f.rate_decimals,
                f.noun,
                f.sentence,
                f.role,
                f.role_cue or None,
                f.needs_review,
                f.review_reason or None,
            ]
            for n, f in enumerate(extraction.figures, start=1)
        ),
    )
    insert_rows(
        con,
        "raw.narrative_dates",
        (
            [sha, n, d.block.position, d.printed, d.day or None, d.month or None, d.year, d.parsed]
            + [d.sentence]
            for n, d in enumerate(extraction.dates, start=1)
        ),
    )
    return len(extraction.figures)


def extract_for_ingest(path: Path, reference_dir: Path | None = None) -> Extraction | IngestError:
    """The extraction the ingest lands, or the reason the report is refused (any exception is that
    report's refusal: the per-file boundary). A link is never read through."""
    if path.is_symlink():
        return symlink_error(path)
    try:
        return refuse_without_period(extract_report(path, reference_dir=reference_dir))
    except IngestError as error:
        return error
    except Exception as error:
        return IngestError.unexpected(path, error)


def ingest_report(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    archive_dir: Path,
    extract: Callable[[Path], Extraction | IngestError] = extract_for_ingest,
) -> FileResult:
    """Land one report (the same bytes twice is a no-op; a corrected report is a new file and a new row).
    `extract` reads it, only when its bytes are new (the ingest asset passes one that remembers)."""
    con.execute(RAW_DDL)
    use_column_types(con, "raw.narrative_figures", {"numerator": FIGURE, "denominator": FIGURE})

    def read() -> Extraction:
        extracted = extract(path)
        if isinstance(extracted, IngestError):
            raise extracted
        return extracted

    def land(sha: str, extracted: Extraction) -> tuple[int, int]:
        return land_extraction(con, sha, extracted), 0

    return ingest_file(con, path, SOURCE_KIND, archive_dir, read, land)
