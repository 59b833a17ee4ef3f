"""dbt run inside the Dagster process, with dagster-dbt's own event mapping.

dagster-dbt starts a dbt process for every command. On two cores each start costs ~2 s of imports and a
parse before dbt does any work, three times in a fresh run (build, reporting views, docs). dbt's
programmatic entry point (`dbtRunner`, dbt's documented API for this) runs the same command in this process,
where dbt-core is already imported (dagster-dbt imports it). What dagster-dbt does with a command's output
is kept as it is: the selection of a subset comes from `get_updated_cli_invocation_params_for_context`, and
every result becomes Dagster events through `DbtCoreCliEventMessage.to_default_asset_events`, the mapping
`DbtCliInvocation.stream()` uses. Only the transport changes: dbt's structured events arrive through a
callback instead of JSON lines on a pipe.

dbt runs in a worker thread, so its results reach the UI as each node finishes. A run stopped from the UI
interrupts the open DuckDB queries and waits for dbt to stop. dbt-duckdb keeps the warehouse file open
after a command; it is closed when the command ends, since this process opens the same file with other
settings next (DuckDB refuses two configurations of one file in one process).
"""

import os
import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from pipelines.settings import DBT_PROJECT_DIR
from pipelines.warehouse.manifest import keep_partial_parse, seed_partial_parse

# dbt's events that carry a node's result: the ones dagster-dbt turns into materialisations and checks.
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
_DONE = object()
# How long the reading loop waits for the next event before looking again (the UI's stop arrives between).
POLL_SECONDS = 0.2


class DbtCommandFailed(DagsterDbtCliRuntimeError):
    """A dbt command that did not succeed, with dbt's own error messages."""


def run_dbt(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    target_path: Path,
    context: AssetExecutionContext | None = None,
    within: Sequence[str] | None = None,
) -> Iterator[Any]:
    """Run `dbt <args>` in this process and yield its Dagster events (none without a context).

    `env` is set in os.environ while dbt runs (dbt's profile reads the warehouse path from it) and the
    process's own values are restored after. `target_path` receives dbt's artifacts and log; it starts from
    the partial-parse state the last command with the same profile values left (else the project's), so
    only what changed since is parsed again. `within`: dbt selectors the context's selection is narrowed
    to (their intersection)."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    project_dir, selection, manifest, translator, project = _selection(context)
    if within is not None:
        selection = narrowed(selection, within)
    seed_partial_parse(target_path, env)
    command = [
        *args,
        *selection,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path),
        "--no-use-colors",
        "--no-send-anonymous-usage-stats",
    ]
    events: queue.SimpleQueue = queue.SimpleQueue()
    errors: list[str] = []

    def on_event(event) -> None:  # called from dbt's threads
        name = event.info.name
        if name in RESULT_EVENTS:
            events.put(msg_to_dict(event))
        elif event.info.level == "error":
            errors.append(event.info.msg)

    outcome: dict[str, Any] = {}

    def invoke() -> None:
        try:
            outcome["result"] = dbtRunner(callbacks=[on_event]).invoke(command)
        except BaseException as error:  # handed to the reading thread, raised there
            outcome["error"] = error
        finally:
            _close_duckdb()
            keep_partial_parse(target_path, env)
            events.put(_DONE)

    with environment({k: v for k, v in env.items() if os.environ.get(k) != v}):
        worker = threading.Thread(target=invoke, name=f"dbt-{args[0]}", daemon=True)
        worker.start()
        try:
            while (raw := _next(events)) is not _DONE:
                if context is None:
                    continue
                event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
                yield from event.to_default_asset_events(
                    manifest=manifest,
                    dagster_dbt_translator=translator,
                    context=context,
                    target_path=target_path,
                    project=project,
                )
        except BaseException:
            _cancel_queries()
            worker.join()
            raise
        worker.join()
    _raise_on_failure(command, outcome, errors, target_path)


def run_dbt_command(args: Sequence[str], *, env: Mapping[str, str], target_path: Path) -> None:
    """A dbt command with no Dagster events to give (docs, for example), run to its end."""
    for _ in run_dbt(args, env=env, target_path=target_path):
        pass


def _next(events: queue.SimpleQueue) -> Any:
    while True:
        try:
            return events.get(timeout=POLL_SECONDS)
        except queue.Empty:
            continue


def _selection(context: AssetExecutionContext | None):
    """The project folder, the selection arguments, manifest, translator and project of the context's dbt
    assets, as dagster-dbt's `DbtCliResource.cli` computes them (a subset selected in the UI included)."""
    if context is None:
        return DBT_PROJECT_DIR, [], {}, None, None
    from pipelines.warehouse.dbt import translator

    params = get_updated_cli_invocation_params_for_context(
        context=context, manifest={}, dagster_dbt_translator=translator
    )
    selection = list(params.selection_args)
    if params.indirect_selection:
        selection += ["--indirect-selection", params.indirect_selection]
    project_dir = Path(params.dbt_project.project_dir) if params.dbt_project else DBT_PROJECT_DIR
    return project_dir, selection, params.manifest, params.dagster_dbt_translator, params.dbt_project


def narrowed(selection: list[str], within: Sequence[str]) -> list[str]:
    """dbt selection arguments (dagster-dbt's form: `--select` and `--exclude` each one space-separated
    value) narrowed to what `within` also selects: every selected term intersected with every one of
    `within` (dbt's `a,b`)."""
    args = list(selection)
    if "--select" not in args:
        args = ["--select", "fqn:*", *args]
    at = args.index("--select") + 1
    args[at] = " ".join(f"{term},{part}" for term in args[at].split() for part in within)
    return args


def _raise_on_failure(command: list[str], outcome: Mapping[str, Any], errors: list[str], target: Path):
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    if result.success:
        return
    details = "\n".join(errors[-20:]) or str(result.exception or "no message")
    raise DbtCommandFailed(description=f"dbt {command[0]} failed (log: {target / 'dbt.log'}):\n{details}")


def _close_duckdb() -> None:
    """Close the warehouse file dbt-duckdb keeps open after a command (see the module's docstring)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _cancel_queries() -> None:
    """Interrupt what dbt is running (the run was stopped), so that its thread ends soon."""
    from dbt.adapters.factory import FACTORY

    for adapter in list(FACTORY.adapters.values()):
        adapter.cancel_open_connections()


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in os.environ while the block runs, the process's own environment restored after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
