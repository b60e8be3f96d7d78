"""Quoting user input inside one-line messages without echoing all of it.

An intent value may be megabytes long; an error line that quotes it whole floods the terminal
and the audit log. Every message that quotes user input goes through `quote`.
"""

from __future__ import annotations

from typing import Any

MAX_SHOWN = 80


def quote(value: Any, limit: int = MAX_SHOWN) -> str:
    """`repr(value)` for text up to `limit` characters; longer text as its first `limit`
    characters followed by `… (N characters)`."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value)} characters)"
    shown = repr(value)
    if len(shown) > limit + 2:
        return f"{shown[:limit]}… ({len(shown)} characters)"
    return shown


def clip(text: str, limit: int) -> str:
    """`text` itself when at most `limit` characters, else cut to `limit` ending in `...`
    (for causes and values that only need to stay on one short line)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` itself when short, else its first `limit` characters and `… (N characters)`."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
