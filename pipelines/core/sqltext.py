"""The one way a name that did not come from our own code reaches SQL text: as a quoted identifier.

Values always travel as parameters (`?`); identifiers cannot, so every identifier built from anything but
a constant of ours goes through `quote_ident`.
"""

from __future__ import annotations


def quote_ident(identifier: str) -> str:
    """`a"b` → `"a""b"`: a double-quoted SQL identifier, any text inside it kept as text."""
    if "\x00" in identifier:
        raise ValueError("an SQL identifier cannot hold a NUL character")
    return '"' + identifier.replace('"', '""') + '"'


def quote_qualified(name: str) -> str:
    """`raw.dossiers` → `"raw"."dossiers"`: each dotted part a quoted identifier (a name of ours, split on
    its dots; a name from input that holds a dot goes through `quote_ident` whole)."""
    return ".".join(quote_ident(part) for part in name.split("."))
