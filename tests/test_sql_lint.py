"""No SQL text is built from input: a lint over `pipelines/` that fails on any SQL passed to DuckDB (or a
DB-API cursor) as an f-string, `%` or `.format` expression holding a value that is not provably ours.

Provably ours: literals; module constants (UPPER_CASE); identifiers through `quote_ident`; placeholders
(`?`) through `placeholders`; integers (`int(...)`, `len(...)`); staging column names (`staged_column`);
and local names, conditionals, joins and loops built only from those. Anything else must either travel as a
parameter or carry a reviewed `# sql-checked: <why it is safe>` comment on the call (or the line above
it), which this test counts so that exceptions stay few and visible. A function of the same module that
returns SQL is followed: its text is safe when every value it returns is.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "pipelines"
SQL_METHODS = {"execute", "executemany", "sql", "query", "from_query"}
SAFE_CALLS = {
    "quote_ident",
    "quote_qualified",
    "placeholders",
    "staged_column",
    "int",
    "len",
    "range",
    "sorted",
    "tuple",
}
PRAGMA = re.compile(r"#\s*sql-checked:\s*(\S.{8,})")
CONSTANT = re.compile(r"^_?[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str


class _Scope:
    """The assignments and loop bindings of one function (or the module), by name."""

    def __init__(self, node: ast.AST):
        self.bindings: dict[str, list[ast.AST]] = {}
        for child in _own_nodes(node):
            if isinstance(child, ast.Assign):
                for target in child.targets:
                    self._bind(target, child.value)
            elif isinstance(child, ast.AnnAssign | ast.AugAssign) and child.value is not None:
                self._bind(child.target, child.value)
            elif isinstance(child, ast.For):
                self._bind(child.target, _Each(child.iter))
            elif isinstance(child, ast.With):
                for item in child.items:
                    if item.optional_vars is not None:
                        self._bind(item.optional_vars, item.context_expr)
            elif isinstance(child, ast.NamedExpr):
                self._bind(child.target, child.value)
            elif isinstance(child, ast.comprehension):
                self._bind(child.target, _Each(child.iter))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                self.bindings.setdefault(arg.arg, []).append(_Unknown())

    def _bind(self, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.bindings.setdefault(target.id, []).append(value)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:  # unpacking: each element is as safe as the whole
                self._bind(element, _Each(value) if not isinstance(value, ast.Tuple) else value)


class _Each(ast.AST):
    """An element of an iterable: as safe as the iterable."""

    def __init__(self, iterable: ast.AST):
        super().__init__()
        self.iterable = iterable


class _Unknown(ast.AST):
    """A function argument: anything a caller passes."""


def _own_nodes(node: ast.AST):
    """Nodes of this scope, not of nested functions or classes."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            yield from _own_nodes(child)


class _Checker:
    def __init__(self, scopes: list[_Scope], functions: dict[str, ast.FunctionDef]):
        self.scopes = scopes  # innermost first
        self.functions = functions  # this module's functions and methods, by name
        self.seen: set[int] = set()

    def safe(self, node: ast.AST, local: dict[str, ast.AST] | None = None) -> bool:
        local = local or {}
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, _Each):
            return self.safe(node.iterable, local)
        if isinstance(node, _Unknown):
            return False
        if isinstance(node, ast.Name):
            return CONSTANT.match(node.id) is not None or self._name(node.id, local)
        if isinstance(node, ast.Attribute):
            return CONSTANT.match(node.attr) is not None
        if isinstance(node, ast.JoinedStr):
            return all(self.safe(v.value, local) for v in node.values if isinstance(v, ast.FormattedValue))
        if isinstance(node, ast.FormattedValue):
            return self.safe(node.value, local)
        if isinstance(node, ast.BinOp):
            return self.safe(node.left, local) and self.safe(node.right, local)
        if isinstance(node, ast.IfExp):
            return self.safe(node.body, local) and self.safe(node.orelse, local)
        if isinstance(node, ast.BoolOp):
            return all(self.safe(v, local) for v in node.values)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return all(self.safe(e, local) for e in node.elts)
        if isinstance(node, ast.Starred):
            return self.safe(node.value, local)
        if isinstance(node, ast.Subscript):
            return self.safe(node.value, local)
        if isinstance(node, ast.GeneratorExp | ast.ListComp | ast.SetComp):
            inner = dict(local)
            for generator in node.generators:  # a loop variable is as safe as what it runs over
                for name in ast.walk(generator.target):
                    if isinstance(name, ast.Name):
                        inner[name.id] = _Each(generator.iter)
            return self.safe(node.elt, inner)
        if isinstance(node, ast.Call):
            return self._call(node, local)
        return False

    def _call(self, node: ast.Call, local: dict[str, ast.AST]) -> bool:
        func = node.func
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if isinstance(func, ast.Name) and func.id in SAFE_CALLS:
            # integers and quoted identifiers are safe whatever they were made from
            return func.id not in {"sorted", "tuple"} or all(self.safe(a, local) for a in arguments)
        called = func.id if isinstance(func, ast.Name) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            called = func.attr
        if called in self.functions:  # a builder of this module: safe when everything it returns is
            return self._returns_safe(self.functions[called])
        if isinstance(func, ast.Attribute) and func.attr in {
            "join",
            "replace",
            "strip",
            "lower",
            "upper",
            "items",
            "values",
            "keys",
        }:
            return self.safe(func.value, local) and all(self.safe(a, local) for a in arguments)
        return False

    def _returns_safe(self, function: ast.FunctionDef) -> bool:
        if id(function) in self.seen:
            return True
        self.seen.add(id(function))
        try:
            inner = _Checker([_Scope(function), *self.scopes[-1:]], self.functions)
            inner.seen = self.seen
            returns = [n.value for n in _own_nodes(function) if isinstance(n, ast.Return) and n.value]
            return bool(returns) and all(inner.safe(value) for value in returns)
        finally:
            self.seen.discard(id(function))

    def _name(self, name: str, local: dict[str, ast.AST]) -> bool:
        if name in local:
            return self.safe(local[name], local)
        for scope in self.scopes:
            if name in scope.bindings:
                key = id(scope.bindings[name])
                if key in self.seen:  # a name built from itself (`sql += …`): its other bindings decide
                    return True
                self.seen.add(key)
                try:
                    return all(self.safe(value, local) for value in scope.bindings[name])
                finally:
                    self.seen.discard(key)
        return False


def _is_sql_text(node: ast.AST) -> bool:
    """Built text, not a plain literal or name."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp):
        return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"format", "replace", "join"}
    return isinstance(node, ast.Name)


def _is_parameter(node: ast.AST, scope: _Scope) -> bool:
    """SQL handed in by the caller (`def one_row(con, sql)`): the callers' text is what gets checked."""
    bindings = scope.bindings.get(node.id, []) if isinstance(node, ast.Name) else []
    return bool(bindings) and all(isinstance(b, _Unknown) for b in bindings)


def lint_source(source: str, path: str = "<string>") -> tuple[list[Finding], int]:
    """(unsafe SQL calls, reviewed exceptions) in one module's source."""
    tree = ast.parse(source)
    pragmas = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and PRAGMA.search(token.string)
    }
    findings, reviewed = [], 0
    module = _Scope(tree)
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}

    def visit(node: ast.AST, scopes: list[_Scope]) -> None:
        nonlocal reviewed
        for child in ast.iter_child_nodes(node):
            inner = scopes
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = [_Scope(child), *scopes]
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in SQL_METHODS
                and child.args
                and _is_sql_text(child.args[0])
                and not _is_parameter(child.args[0], scopes[0])
                and not _Checker(scopes, functions).safe(child.args[0])
            ):
                if pragmas & set(range(child.lineno - 1, (child.end_lineno or child.lineno) + 1)):
                    reviewed += 1
                else:
                    text = ast.get_source_segment(source, child) or ""
                    findings.append(Finding(path, child.lineno, text.splitlines()[0][:120]))
            visit(child, inner)

    visit(tree, [module])
    return findings, reviewed


def lint_tree(root: Path = ROOT) -> tuple[list[Finding], int]:
    findings, reviewed = [], 0
    for path in sorted(root.rglob("*.py")):
        found, checked = lint_source(path.read_text(encoding="utf-8"), str(path.relative_to(root.parent)))
        findings += found
        reviewed += checked
    return findings, reviewed


# Reviewed exceptions (`# sql-checked:`) across pipelines/: raise only with a reason in the comment.
# 7: `cds check` creates the check models as views from the SQL dbt compiled for them (form_check.py).
# 9: the copy of the landed tables to PostgreSQL (warehouse/postgres.py) writes a temporary CSV path of ours
# into DuckDB's COPY (which takes no parameter) and column types from its fixed DuckDB → PostgreSQL map.
# 10: the report reader's fixed queries passed on to the server warehouse (QmarkConnection, postgres.py).
MAX_REVIEWED = 10


def test_no_sql_is_built_from_values_that_are_not_ours():
    findings, reviewed = lint_tree()
    assert findings == [], "\n".join(f"{f.path}:{f.line}: {f.text}" for f in findings)
    assert reviewed <= MAX_REVIEWED


@pytest.mark.parametrize(
    "snippet",
    [
        'def f(con, header):\n    con.execute(f"select {header} from t")',
        "def f(con, path):\n    con.execute(f\"copy t to '{path}'\")",
        'def f(con, name):\n    con.execute("select * from %s" % name)',
        'def f(con, name):\n    con.execute("select * from {}".format(name))',
        'def f(con, name):\n    sql = "select " + name\n    con.execute(sql)',
        "def f(con, names):\n    con.execute(f\"select {', '.join(names)} from t\")",
        'def f(con, rows):\n    for name, kind in rows:\n        con.execute(f"drop {kind} {name}")',
        "def f(con, header):\n    con.sql(f\"select '{header}'\")",
        'def f(cur, value):\n    cur.execute("insert into t values (" + value + ")")',
        "def f(con, path):\n    con.execute(f\"attach '{path}' as x\")  # sql-checked: short",
        'def q(name):\n    return f"select {name}"\n'
        'def f(con, h):\n    con.execute(f"with x as ({q(h)}) from x")',
    ],
)
def test_the_lint_catches_sql_built_from_input(snippet):
    findings, _ = lint_source(snippet)
    assert len(findings) == 1, snippet


@pytest.mark.parametrize(
    "snippet",
    [
        'TABLE = "raw.x"\ndef f(con):\n    con.execute(f"select * from {TABLE}")',
        'def f(con, name):\n    con.execute(f"select * from {quote_ident(name)}")',
        'def f(con, n):\n    con.execute(f"insert into t values ({placeholders(n)})", [])',
        'def f(con, names):\n    cols = ", ".join(quote_ident(c) for c in names)\n'
        '    con.execute(f"select {cols}")',
        'def q(big):\n    return "select 1" if big else f"select {LIMIT}"\n'
        'def f(con, big):\n    con.execute(f"with x as ({q(big)}) from x")',
        'def f(con, big):\n    k = "a" if big else "b"\n    con.execute(f"select {k} from t")',
        'def f(con, x):\n    first = int(x) + 1\n    con.execute(f"select {first}")',
        'COLS = ("a", "b")\ndef f(con):\n    con.execute(f"select {\', \'.join(c for c in COLS)}")',
        'def f(con, path):\n    con.execute("select * from read_csv(?)", [path])',
        "def f(con, sql):\n    con.execute(sql, [])  # sql-checked: built by _typed_select from constants",
    ],
)
def test_the_lint_lets_safe_sql_through(snippet):
    findings, _ = lint_source(snippet)
    assert findings == [], snippet
