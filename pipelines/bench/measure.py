"""Wall time and peak memory of one command run in its own process.

Peak memory is the larger of two readings: the kernel's peak resident set of the largest single process
(`wait4`'s `ru_maxrss`, which covers children it waited for, such as dbt), and the sum over the whole
process tree sampled every 50 ms (dbt runs beside the Dagster process, and both count at once).
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
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


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


def tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (Linux /proc)."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_KB
        except (OSError, IndexError, ValueError):
            continue
        stack += _children(pid)
    return total


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
            peak_tree_kb = max(peak_tree_kb, tree_rss_kb(process.pid))
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
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    peak_kb = max(peak_tree_kb, usage.ru_maxrss)  # ru_maxrss is in KiB on Linux
    return Measurement(
        round(wall, 2), round(peak_kb / 1024, 1), process.returncode, output["stdout"], output["stderr"]
    )
