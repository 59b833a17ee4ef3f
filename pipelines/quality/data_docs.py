"""GX Data Docs that work with no internet.

GX 1.x writes pages that load Bootstrap, jQuery, bootstrap-table and Font Awesome from CDNs; offline, the
index shows only links. After each build the pages are rewritten to load local copies
(`expectations/data_docs_assets/`, listed with their origin and hash in `assets.json`), copied into the
site's `static/vendor/`. Any other external stylesheet, script or image is removed and named in the log, so
that a page never waits on the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import EXPECTATIONS_DIR

ASSETS_DIR = EXPECTATIONS_DIR / "data_docs_assets"
VENDOR = "static/vendor"

_SCRIPT = re.compile(r'<script\b[^>]*?\bsrc="(https?://[^"]+)"[^>]*>\s*</script>', re.IGNORECASE)
_LINK = re.compile(r'<link\b[^>]*?\bhref="(https?://[^"]+)"[^>]*?/?>', re.IGNORECASE)
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")(https?://[^"]+)(")', re.IGNORECASE)
_CSS_URL = re.compile(r"""url\((['"]?)(https?://[^)'"]+)\1\)""", re.IGNORECASE)
_SRI = re.compile(r'\s+(?:integrity|crossorigin)="[^"]*"', re.IGNORECASE)


@dataclass(frozen=True)
class AssetMap:
    replace: dict[str, str]
    drop: frozenset[str]
    images: dict[str, str]
    files: dict[str, str]

    @classmethod
    def load(cls, folder: Path = ASSETS_DIR) -> AssetMap:
        raw = json.loads((folder / "assets.json").read_text(encoding="utf-8"))
        files = {path: digest for package in raw["packages"] for path, digest in package["files"].items()}
        return cls(raw["replace"], frozenset(raw["drop"]), raw["images"], files)

    def image_for(self, url: str) -> str | None:
        for prefix, image in self.images.items():
            if url.startswith(prefix):
                return image
        return None


def verify_assets(folder: Path = ASSETS_DIR) -> list[str]:
    """The vendored files whose content differs from the hash in assets.json (empty when all match)."""
    assets = AssetMap.load(folder)
    bad = []
    for path, digest in sorted(assets.files.items()):
        file = folder / path
        if not file.is_file() or hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            bad.append(path)
    return bad


def _copy_vendor(site: Path, assets: AssetMap, folder: Path) -> None:
    for path in assets.files:
        source, target = folder / path, site / VENDOR / path
        if target.is_file() and target.read_bytes() == source.read_bytes():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def localise_page(html: str, prefix: str, assets: AssetMap) -> tuple[str, set[str]]:
    """The page with CDN assets pointed at `prefix` + the local copy; returns it and the external addresses
    removed because no local copy is known."""
    removed: set[str] = set()

    def tag(match: re.Match[str]) -> str:
        url = match.group(1)
        local = assets.replace.get(url)
        if local is None:
            if url not in assets.drop:
                removed.add(url)
            return ""
        # integrity and crossorigin make a file:// page fetch the script as a CORS request, which Chromium
        # refuses; the local copies' hashes are checked against assets.json instead
        return _SRI.sub("", match.group(0).replace(url, f"{prefix}{VENDOR}/{local}"))

    def image(url: str) -> str | None:
        local = assets.image_for(url)
        return None if local is None else f"{prefix}static/images/{local}"

    def img_src(match: re.Match[str]) -> str:
        local = image(match.group(2))
        if local is None:
            removed.add(match.group(2))
            local = ""
        return match.group(1) + local + match.group(3)

    def css_url(match: re.Match[str]) -> str:
        local = image(match.group(2))
        if local is None:
            removed.add(match.group(2))
            return "none"
        return f"url('{local}')"

    html = _SCRIPT.sub(tag, html)
    html = _LINK.sub(lambda m: tag(m) if _is_resource_link(m.group(0)) else m.group(0), html)
    html = _IMG_SRC.sub(img_src, html)
    html = _CSS_URL.sub(css_url, html)
    return html, removed


def _is_resource_link(tag: str) -> bool:
    rel = re.search(r'\brel="([^"]*)"', tag, re.IGNORECASE)
    return rel is not None and rel.group(1).lower() in {"stylesheet", "preload", "icon", "shortcut icon"}


def make_offline(site: Path, folder: Path = ASSETS_DIR) -> set[str]:
    """Rewrite every page of the Data Docs site at `site` to load local assets only. Returns the external
    addresses that had no local copy and were removed (empty when GX wrote only what assets.json knows)."""
    assets = AssetMap.load(folder)
    _copy_vendor(site, assets, folder)
    removed: set[str] = set()
    for page in site.rglob("*.html"):
        depth = len(page.relative_to(site).parts) - 1
        html = page.read_text(encoding="utf-8")
        new, gone = localise_page(html, "../" * depth, assets)
        removed |= gone
        if new != html:
            tmp = page.with_suffix(".html.tmp")
            tmp.write_text(new, encoding="utf-8")
            os.replace(tmp, page)
    return removed
