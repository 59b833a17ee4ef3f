"""What `cds run` shows in a terminal: one line per step as it starts and ends (with its time and how many
assets it materialised), the pipeline's own messages, warnings and errors. Dagster's DEBUG events stay in
the run's event log (`outputs/logs/run-<id>.log`, the UI), and dbt's own node-by-node output goes to
`outputs/logs/dbt-output.log`; `cds run --verbose` shows everything as before.

A Dagster logger (`brief`), so that it sees the same records as the default console logger and the run's
event log is unchanged.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter

from dagster import Field, logger

# dagster-dbt's own INFO lines about how it starts dbt: engineers' detail, in the run log, not the terminal
_FRAMEWORK_PREFIXES = (
    "A dbt subsetted execution is not being performed",
    "Copying `",
    "Running dbt command",
    "Finished dbt command",
    "Logging an `AssetObservation` instead of an `AssetCheckResult`",
)
# Dagster's line for every step skipped after a failure: the failure itself is shown, and named again at
# the end of `cds run`
_SKIPPED_PREFIX = "Dependencies for step"


# The steps of this project's asset checks (`quality_dq_checks`, `gx_<suite>`, `<source>_every_row_landed_or_
# quarantined`): quick, and their results are listed at the end of `cds run`; only a failure is shown.
_CHECK_STEP_MARKS = ("_dq_", "_gx_", "_every_row_landed_or_quarantined")


def _is_check_step(step: str) -> bool:
    return any(mark in step for mark in _CHECK_STEP_MARKS)


class _BriefHandler(logging.Handler):
    def __init__(self, stream, level: int) -> None:
        super().__init__(level)
        self.stream = stream
        self.materialised: Counter[str] = Counter()
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        if meta is None:
            return
        line = self._line(record, meta)
        if line:
            self.stream.write(f"{time.strftime('%H:%M:%S')}  {line}\n")
            self.stream.flush()

    def _line(self, record: logging.LogRecord, meta: dict) -> str | None:
        step = meta.get("step_key") or ""
        event = meta.get("dagster_event")
        if event is None:
            message = str(meta.get("orig_message") or record.getMessage()).strip()
            if message.startswith(_FRAMEWORK_PREFIXES) and record.levelno < logging.ERROR:
                return None
            if message.startswith(_SKIPPED_PREFIX):
                return None
            first, _, rest = message.partition("\n")
            more = " …" if rest.strip() else ""
            level = f"{logging.getLevelName(record.levelno)} " if record.levelno >= logging.WARNING else ""
            return f"{level}{step}: {first}{more}"
        kind = event.event_type_value
        if kind in {"STEP_START", "STEP_SUCCESS"} and _is_check_step(step):
            return None
        if kind == "STEP_START":
            self.started[step] = time.perf_counter()
            return f"▶ {step}"
        if kind == "ASSET_MATERIALIZATION":
            self.materialised[step] += 1
            return None
        if kind == "STEP_SUCCESS":
            seconds = time.perf_counter() - self.started.get(step, time.perf_counter())
            count = self.materialised.get(step, 0)
            assets = f", {count} asset{'s' if count != 1 else ''} materialised" if count else ""
            return f"✓ {step} ({seconds:.1f} s{assets})"
        if kind == "STEP_FAILURE":
            return f"✗ {step} FAILED: {failure_cause(event.step_failure_data.error)}"
        if kind in {"RUN_FAILURE", "PIPELINE_FAILURE"}:
            return "✗ run failed"
        return None


def failure_cause(error) -> str:
    """The first line of the innermost cause of a step's error (the user's exception, not the
    DagsterExecutionStepExecutionError that wraps it)."""
    while error is not None and error.cause is not None:
        error = error.cause
    lines = (error.message if error else "").strip().splitlines()
    return lines[0] if lines else ""


def _is_event(record: logging.LogRecord) -> bool:
    return (getattr(record, "dagster_meta", None) or {}).get("dagster_event") is not None


@logger(
    {"log_level": Field(str, is_required=False, default_value="INFO")},
    description="One line per step and the pipeline's own messages (cds run); DEBUG events stay in the "
    "run log.",
)
def brief_console(init_context) -> logging.Logger:
    level = logging.getLevelName(init_context.logger_config["log_level"].upper())
    log = logging.Logger("cds_brief", level=logging.DEBUG)
    # step events are DEBUG records in Dagster: the handler shows them whatever the level, and the level
    # applies to the messages
    handler = _BriefHandler(sys.stderr, logging.DEBUG)
    handler.addFilter(lambda r: _is_event(r) or r.levelno >= level)
    log.addHandler(handler)
    return log
