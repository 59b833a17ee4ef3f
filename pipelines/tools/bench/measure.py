"""Wall time and peak memory of one command run in its own process.

Peak memory is the larger of two readings taken every 50 ms over the whole process tree: the sum of the
processes' resident sets at that moment (dbt runs beside the Dagster process, and both count at once), and
the largest single process's own high-water mark (`VmHWM`, which also catches a peak between two samples).
`wait4`'s `ru_maxrss` is not used: it counts the parent's pages a child inherits before `exec`, so a child
of a large process would look large.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_EVERY_S = 0.05


@dataclass(frozen=True)
class Measurement:
    wall_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str

    def json_payload(self) -> dict:
        """The last stdout line that is a JSON object (what our bench scripts print), else {}."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        return {}


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        found: list[int] = []
        for task in tasks:
            found += [int(c) for c in (task / "children").read_text().split()]
        return found
    except OSError:
        return []


def _status_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB; zeros when it is gone."""
    values = {"VmRSS:": 0, "VmHWM:": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(maxsplit=1)[0] if line else ""
            if key in values:
                values[key] = int(line.split()[1])
    except OSError:
        pass
    return values["VmRSS:"], values["VmHWM:"]


def tree_memory_kb(root: int) -> tuple[int, int]:
    """(sum of resident memory over a process and its descendants, largest high-water mark among them)."""
    total, largest, stack = 0, 0, [root]
    while stack:
        pid = stack.pop()
        rss, hwm = _status_kb(pid)
        total, largest = total + rss, max(largest, hwm)
        stack += _children(pid)
    return total, largest


def run_measured(
    command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> Measurement:
    """Run `command` to completion and measure it; output is captured, not shown."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak_tree_kb = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree_kb
        while not done.is_set():
            peak_tree_kb = max(peak_tree_kb, *tree_memory_kb(process.pid))
            done.wait(SAMPLE_EVERY_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # Read the pipes in threads so a chatty command never blocks on a full pipe before it exits.
    output: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda n=name, s=stream: output.__setitem__(n, s.read()), daemon=True)
        for name, stream in (("stdout", process.stdout), ("stderr", process.stderr))
    ]
    for reader in readers:
        reader.start()
    # Sample until the process is a zombie (still readable), then reap it.
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
    peak_tree_kb = max(peak_tree_kb, *tree_memory_kb(process.pid))
    _, status = os.waitpid(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        round(wall, 2), round(peak_tree_kb / 1024, 1), process.returncode, output["stdout"], output["stderr"]
    )
