"""Literal values out of python-hcl2's serialized form, and `Expr` for everything else.

python-hcl2 (v8) serializes a literal string with its HCL quotes and escapes kept
(`"\\"payments\\""`), any other expression as `${...}`, objects as dicts (quoted keys keep
their quotes, bare identifiers do not), tuples as lists, nested blocks as lists of dicts
marked `__is_block__`. `decode` turns that into plain Python values, with every
non-literal (a reference, a function call, an interpolated string) kept as an `Expr`, so a
caller can never mistake an expression for a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_META_KEYS = {"__is_block__", "__comments__", "__inline_comments__", "__start_line__", "__end_line__"}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


@dataclass(frozen=True, slots=True)
class Expr:
    """An HCL expression that is not a literal; `text` is its source as python-hcl2 prints it."""

    text: str

    def __str__(self) -> str:
        return self.text


def _has_template(inner: str) -> bool:
    """True when a quoted string's body has an unescaped `${` or `%{` sequence."""
    i = 0
    while i < len(inner):
        char = inner[i]
        if char == "\\":
            i += 2
            continue
        if inner.startswith(("$${", "%%{"), i):
            i += 3
            continue
        if inner.startswith(("${", "%{"), i):
            return True
        i += 1
    return False


def _unescape(inner: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(inner):
        char = inner[i]
        if char == "\\" and i + 1 < len(inner):
            nxt = inner[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", inner[i + 2 : i + 6]):
                out.append(chr(int(inner[i + 2 : i + 6], 16)))
                i += 6
                continue
            if nxt == "U" and re.fullmatch(r"[0-9a-fA-F]{8}", inner[i + 2 : i + 10]):
                out.append(chr(int(inner[i + 2 : i + 10], 16)))
                i += 10
                continue
        if inner.startswith(("$${", "%%{"), i):
            out.append(inner[i + 1 : i + 3])
            i += 3
            continue
        out.append(char)
        i += 1
    return "".join(out)


def decode_string(text: str) -> str | Expr:
    """A serialized string value: the literal it spells, or an `Expr`."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        inner = text[1:-1]
        if _has_template(inner):
            return Expr(text)
        return _unescape(inner)
    if text.startswith("${") and text.endswith("}"):
        return Expr(text[2:-1])
    return Expr(text)


def decode_key(key: str) -> str | Expr:
    """An object key: quoted literal, bare identifier (itself), or an `Expr`."""
    if len(key) >= 2 and key[0] == '"' and key[-1] == '"':
        return decode_string(key)
    if key.startswith("${"):
        return decode_string(key)
    return key


def decode(value: Any) -> Any:
    """Plain Python for a serialized HCL value; non-literal parts become `Expr`."""
    if isinstance(value, str):
        return decode_string(value)
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        return {decode_key(k): decode(v) for k, v in value.items() if k not in _META_KEYS}
    return value


def find_expr(value: Any) -> Expr | None:
    """The first `Expr` anywhere inside `value` (keys included), or None when fully literal."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, list):
        for item in value:
            found = find_expr(item)
            if found is not None:
                return found
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, Expr):
                return key
            found = find_expr(item)
            if found is not None:
                return found
    return None


def nested_blocks(body: dict, name: str) -> list[dict]:
    """The nested blocks `name { ... }` of a decoded block body (an object attribute counts too)."""
    value = body.get(name)
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def expr_reference(expr: Expr) -> str | None:
    """`a.b.c` when the expression is a bare reference (no operators, calls or indexes), else None."""
    text = expr.text.strip()
    if re.fullmatch(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+", text):
        return text
    return None
