"""A throwaway PostgreSQL server for the tests of the server deployment: Debian's packages, found on the
machine or installed when missing (as root, with apt-get), and a cluster made in a temporary folder, owned
by an unprivileged user, listening on a free port of 127.0.0.1 only. Standard library only, so that CI can
install the packages before the tests: `python3 tests/postgres.py install`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # run as a script by CI, before the tests
from browser import apt_install  # noqa: E402

PACKAGES = ("postgresql",)
# Debian puts the server programs beside each other under /usr/lib/postgresql/<major>/bin
SEARCH = ("/usr/lib/postgresql/*/bin",)
SERVER_USER = "postgres"  # Debian's package creates it; the server refuses to run as root
# Set when an install failed on this machine, so that the tests do not try again after `.ci/run` did
FAILED_MARK = Path(tempfile.gettempdir()) / "cds-postgresql-install-failed"


def find_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres (the newest major version)."""
    found = sorted(
        (p for pattern in SEARCH for p in Path("/").glob(pattern.lstrip("/")) if (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1]
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def install() -> tuple[Path | None, str]:
    """(bin folder, "") when PostgreSQL is there or was installed; (None, why not) otherwise."""
    if found := find_bin():
        return found, ""
    if FAILED_MARK.exists():  # `.ci/run` tried already: the tests do not wait for apt-get again
        return None, f"an earlier install failed ({FAILED_MARK.read_text(encoding='utf-8').strip()[:200]})"
    if not shutil.which("apt-get"):
        return None, "this machine has no apt-get; install PostgreSQL's server and put pg_ctl on PATH"
    if os.geteuid() != 0:
        return None, "installing it needs root: run `apt-get install postgresql` as root"
    failure = apt_install(PACKAGES)
    if found := find_bin():
        return found, ""
    why = failure or "installed, but pg_ctl was not found"
    FAILED_MARK.write_text(why, encoding="utf-8")
    return None, why


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    """Run as the unprivileged server user when this process is root (initdb and postgres refuse root)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVER_USER, "--", *command]


@contextlib.contextmanager
def server(bin_dir: Path) -> Iterator[str]:
    """A running cluster for the duration of the block; yields its URL (database `postgres`, trust auth on
    127.0.0.1 for the server user). Stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="cds-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        for path in (root, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    port = _free_port()
    try:
        subprocess.run(
            _as_server_user(
                [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", SERVER_USER, "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets}"
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(root / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        yield f"postgresql://{SERVER_USER}@127.0.0.1:{port}/postgres"
    finally:
        if data.exists():
            subprocess.run(
                _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
            )
            time.sleep(0.2)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["install"]:
        found, why = install()
        print(f"PostgreSQL: {found}" if found else f"PostgreSQL not installed: {why}")
    else:
        print("usage: python3 tests/postgres.py install", file=sys.stderr)
        sys.exit(2)
