"""Headless Chromium for the print and offline tests: found on the machine, or installed from Debian's
packages when missing (as root, with apt-get). Standard library only, so that CI can install it before the
tests: `python3 tests/browser.py install`.

Every page is opened with the network cut off: a proxy on a closed port and no name resolution, so a page
that still loads something from the internet fails the way it would in the Department's offline network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Chromium prints; poppler's pdftotext reads the pages back (pypdf, the fallback, takes 20 s for 96 pages)
PACKAGES = ("chromium", "poppler-utils")
OFFLINE = ("--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND")


def find_chromium() -> str | None:
    for name in CANDIDATES:
        if found := shutil.which(name):
            return found
    return None


# Set when an install failed on this machine, so that the tests do not try again after `.ci/run` did
FAILED_MARK = Path(tempfile.gettempdir()) / "cds-chromium-install-failed"


def _cannot_install() -> str:
    if FAILED_MARK.exists():
        return f"an earlier install failed ({FAILED_MARK.read_text(encoding='utf-8').strip()[:200]})"
    if os.environ.get("CDS_BROWSER_INSTALL", "1") == "0":
        return "CDS_BROWSER_INSTALL=0 forbids installing it"
    if not shutil.which("apt-get"):
        return "this machine has no apt-get; install Chromium and put it on PATH"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return "installing it needs root: run `apt-get install chromium poppler-utils` as root"
    return ""


def install_chromium() -> tuple[str | None, str]:
    """(path, "") when Chromium is there or was installed; (None, why not) otherwise. Poppler comes with it
    where it can be installed; without it pages are read with pypdf."""
    found = find_chromium()
    if found and shutil.which("pdftotext"):
        return found, ""
    if why := _cannot_install():
        return (found, "") if found else (None, why)
    failure = apt_install(PACKAGES)
    found = find_chromium()
    if found:
        return found, ""
    FAILED_MARK.write_text(failure, encoding="utf-8")
    return None, failure


def apt_install(packages: tuple[str, ...], timeout: int = 600) -> str:
    """Install Debian packages (as root; the package lists refreshed when a first try fails): "" when
    apt-get succeeded, else why not. Shared by the tests' servers and browser (tests/postgres.py)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = None
    for command in (
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
    ):
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "apt-get timed out"
        if command[1] == "install" and done.returncode == 0:
            return ""
    return f"apt-get could not install {' '.join(packages)}: {done.stderr.strip()[-300:] if done else ''}"


def _run(chromium: str, *args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="cds-chromium-") as profile:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            *OFFLINE,
            *args,
        ]
        return subprocess.run(command, capture_output=True, timeout=timeout, check=True)


def dump_dom(chromium: str, page: Path) -> str:
    """The page's DOM after its scripts ran (offline)."""
    done = _run(chromium, "--virtual-time-budget=5000", "--dump-dom", page.resolve().as_uri())
    return done.stdout.decode("utf-8")


def print_pdf(chromium: str, page: Path, pdf: Path) -> Path:
    """The page printed to PDF as a browser prints it (A4 from the page's own CSS; no browser header)."""
    _run(chromium, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.resolve().as_uri())
    return pdf


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of `pdf`: poppler's pdftotext where present, else pypdf."""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
        return text.stdout.decode("utf-8").split("\f")[:-1]
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def screenshot(chromium: str, page: Path, png: Path, width: int = 1000, height: int = 1300) -> Path:
    _run(
        chromium,
        f"--window-size={width},{height}",
        "--hide-scrollbars",
        f"--screenshot={png}",
        page.resolve().as_uri(),
    )
    return png


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python3 tests/browser.py install")
    path, why = install_chromium()
    print(
        f"Chromium: {path}" if path else f"Chromium not available ({why}); the browser tests will be skipped"
    )
