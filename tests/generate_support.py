"""Helpers for the generate tests: build intents from the example, render, read HCL back."""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import hcl2
import yaml

from conftest import EXAMPLE, NOW

ROOT = Path(__file__).resolve().parent.parent
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


@functools.cache
def _example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def example_data() -> dict:
    """A fresh, mutable copy of fixtures/example.yaml as data."""
    return copy.deepcopy(yaml.safe_load(_example_text()))


def intent_bytes(data: dict) -> bytes:
    """Intent data as YAML bytes (non-ASCII escaped, so any string survives the round trip)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=False, width=1 << 16).encode("utf-8")


def parse(data: dict):
    """A LoadedIntent validated from intent data."""
    from intent.load import parse_intent

    return parse_intent(intent_bytes(data), "test-intent.yaml", NOW)


def render(loaded, clusters: list[str] | None = None) -> dict[str, str]:
    """Every generated file (path -> text) of a loaded intent."""
    from intent.plan import plan_fleet
    from intent.generate.render import make_environment, render_fleet

    return render_fleet(plan_fleet(loaded.intent, NOW, clusters), make_environment())


def unquote(literal: str) -> str:
    """The value of an HCL quoted-string literal as python-hcl2 returns it (quotes kept)."""
    assert literal.startswith('"') and literal.endswith('"') and len(literal) >= 2, literal
    body = literal[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
            elif nxt == "u":
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
            elif nxt == "U":
                out.append(chr(int(body[i + 2 : i + 10], 16)))
                i += 10
            else:
                raise AssertionError(f"unknown escape \\{nxt} in {literal!r}")
        elif body.startswith("$${", i) or body.startswith("%%{", i):
            out.append(body[i + 1 : i + 3])
            i += 3
        elif body.startswith("${", i) or body.startswith("%{", i):
            raise AssertionError(f"unescaped template sequence in {literal!r}")
        elif ch == '"':
            raise AssertionError(f"unescaped quote in {literal!r}")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_tf(text: str) -> dict:
    """python-hcl2's reading of one .tf file (a fresh copy: callers may change it)."""
    return copy.deepcopy(_parse_tf(text))


@functools.lru_cache(maxsize=512)
def _parse_tf(text: str) -> dict:
    # Property tests render the fleet again per example; most files come out the same.
    return hcl2.loads(text)


def blocks(files: dict[str, str], cluster: str | None = None, kind: str = "resource") -> dict[tuple[str, str], dict]:
    """(type, name) -> body of every `kind` block ("resource", "data") in a cluster's .tf files;
    a duplicate address fails the test."""
    found: dict[tuple[str, str], dict] = {}
    prefix = f"clusters/{cluster}/" if cluster else ""
    for path, text in files.items():
        if not path.endswith(".tf") or not path.startswith(prefix):
            continue
        for item in parse_tf(text).get(kind, []):
            for rtype, named in item.items():
                for name, body in named.items():
                    key = (unquote(rtype), unquote(name))
                    assert key not in found, f"duplicate address {key} in {path}"
                    found[key] = body
    return found


def of_type(found: dict[tuple[str, str], dict], rtype: str) -> dict[str, dict]:
    """name -> body of the blocks of one type."""
    return {name: body for (kind, name), body in found.items() if kind == rtype}


def addresses(files: dict[str, str]) -> set[str]:
    """Every block address across all generated .tf files, prefixed by its cluster folder."""
    out: set[str] = set()
    for path, text in files.items():
        if not path.endswith(".tf"):
            continue
        folder = path.rsplit("/", 1)[0]
        parsed = parse_tf(text)
        for kind in ("resource", "data"):
            for item in parsed.get(kind, []):
                for rtype, named in item.items():
                    for name in named:
                        out.add(f"{folder}:{kind}.{unquote(rtype)}.{unquote(name)}")
        for item in parsed.get("module", []):
            for name in item:
                out.add(f"{folder}:module.{unquote(name)}")
        for item in parsed.get("variable", []):
            for name in item:
                out.add(f"{folder}:var.{unquote(name)}")
    return out


def strings(value):
    """Recursively decode every quoted string of a python-hcl2 value (keys too)."""
    if isinstance(value, dict):
        return {strings(k) if isinstance(k, str) and k.startswith('"') else k: strings(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [strings(v) for v in value]
    if isinstance(value, str) and value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return unquote(value)
    return value


def yamlencode_argument(expression: str):
    """The literal argument of a `${yamlencode(...)}` expression, decoded."""
    assert expression.startswith("${yamlencode(") and expression.endswith(")}"), expression
    inner = expression[len("${yamlencode(") : -2]
    return strings(hcl2.loads(f"x = {inner}\n")["x"])
