"""The code's shape: no import loop between the packages of `pipelines/` (a domain may use the shared core
and the domains before it in the data flow, never one that uses it back), and a root definitions module
that only merges the domains."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PIPELINES = Path(__file__).parent.parent / "pipelines"


def _package(module: str) -> str:
    """`pipelines.ingest.assets` → `pipelines.ingest`; a top-level module is its own package."""
    return ".".join(module.split(".")[:2])


def import_graph(root: Path = PIPELINES) -> dict[str, set[str]]:
    """Package → the other packages of `pipelines` it imports (at module level or inside functions)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in root.rglob("*.py"):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                if name.startswith("pipelines.") and _package(name) != _package(module):
                    edges[_package(module)].add(_package(name))
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_loop_between_packages():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_loop():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_root_definitions_only_merge_the_domains():
    source = (PIPELINES / "definitions.py").read_text(encoding="utf-8")
    assert len(source.splitlines()) < 40
    assert "Definitions.merge(" in source


def test_the_code_location_never_imports_the_tools():
    users = {
        package
        for package, imported in import_graph().items()
        if "pipelines.tools" in imported and package not in ("pipelines.tools", "pipelines.cli")
    }
    assert users == set()


def test_the_shared_core_imports_no_domain():
    """`pipelines.core` is what every domain may use: it imports nothing else of `pipelines`."""
    core = import_graph(PIPELINES).get("pipelines.core", set())
    assert core == set()


def test_only_the_root_reads_the_settings():
    """Settings are read by the command line and the root definitions, and by `partitions.py` for the
    quarter partitions fixed when the code location loads; everything else is handed what it needs
    (resources, arguments). The tools (sample, bench) are programs of their own."""
    readers = {
        str(path.relative_to(PIPELINES))
        for path in PIPELINES.rglob("*.py")
        if "get_settings()" in path.read_text(encoding="utf-8")
    }
    allowed = {"cli.py", "definitions.py", "partitions.py", "settings.py"}
    assert {r for r in readers if not r.startswith("tools/")} <= allowed
