"""The `--waves` spec: which clusters each wave of a rollout applies.

`;` separates waves; each may be named `name:`, and its body is one of
- a comma list of cluster names,
- `N%`: N percent (an integer 1-100) of the clusters not yet placed, rounded up, at least one,
- `rest`: every cluster not yet placed (only as the last wave).
"Not yet placed" means: in no earlier wave and named in no wave at all, so `25%;canary:a;rest`
never takes `a` into the first wave. Percentages take clusters in the intent's order (the
order of `clusters:` in the file), so the operator decides who goes first by where a cluster
is listed. Every cluster lands in exactly one wave; anything else is a one-line UsageError.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from intent.errors import UsageError
from intent.quoting import clip, quote

REST = "rest"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_PERCENT = re.compile(r"(\d{1,3})%")


@dataclass(frozen=True, slots=True)
class Wave:
    """One wave: its name, the clusters it applies (in intent order) and the spec it came from."""

    name: str
    clusters: tuple[str, ...]
    spec: str


@dataclass(frozen=True, slots=True)
class _Part:
    name: str
    kind: str  # "names" | "percent" | "rest"
    names: tuple[str, ...] = ()
    percent: int = 0
    spec: str = ""


def parse_waves(spec: str, clusters: list[str]) -> list[Wave]:
    """The waves `spec` describes over `clusters` (the intent's clusters, in intent order)."""
    if not spec or not spec.strip():
        raise UsageError("--waves: empty; give e.g. 'canary:dev-weu;25%;rest'")
    parts = [_parse_part(text.strip(), index) for index, text in enumerate(spec.split(";"), start=1)]
    _check_parts(parts, clusters)

    named = {name for part in parts for name in part.names}
    pool = [c for c in clusters if c not in named]  # what percentages and `rest` draw from
    waves: list[Wave] = []
    for part in parts:
        if part.kind == "names":
            members = tuple(c for c in clusters if c in part.names)
        elif part.kind == "percent":
            if not pool:
                raise UsageError(f"--waves: wave {part.name!r} ({part.spec}): no clusters left to take")
            count = max(1, math.ceil(len(pool) * part.percent / 100))
            members, pool = tuple(pool[:count]), pool[count:]
        else:
            if not pool:
                raise UsageError(f"--waves: wave {part.name!r} (rest): no clusters left; drop it")
            members, pool = tuple(pool), []
        waves.append(Wave(part.name, members, part.spec))
    if pool:
        left = ", ".join(pool[:5]) + (f" and {len(pool) - 5} more" if len(pool) > 5 else "")
        raise UsageError(f"--waves: clusters in no wave: {left}; name them or end with ';rest'")
    return waves


def _parse_part(text: str, index: int) -> _Part:
    name, sep, body = text.partition(":")
    if sep:
        name, body = name.strip(), body.strip()
        if not _NAME.fullmatch(name):
            raise UsageError(f"--waves: wave {index}: bad name {quote(name, 40)} (letters, digits, '.', '_', '-')")
    else:
        name, body = f"wave-{index}", name
    if not body:
        raise UsageError(f"--waves: wave {index} ({name}) is empty; give cluster names, N% or rest")
    if body == REST:
        return _Part(name, "rest", spec=body)
    if body.endswith("%") and "," not in body:
        match = _PERCENT.fullmatch(body)
        percent = int(match.group(1)) if match else 0
        if not 1 <= percent <= 100:
            raise UsageError(f"--waves: wave {index} ({name}): bad percentage {quote(body, 20)} (a whole number 1-100, then %)")
        return _Part(name, "percent", percent=percent, spec=body)
    names = [n.strip() for n in body.split(",")]
    if any(not n for n in names):
        raise UsageError(f"--waves: wave {index} ({name}): empty cluster name in {quote(body, 60)}")
    for n in names:
        if n == REST or n.endswith("%"):
            raise UsageError(f"--waves: wave {index} ({name}): {quote(n, 40)} cannot be mixed with cluster names; give it a wave of its own")
    return _Part(name, "names", names=tuple(names), spec=body)


def _check_parts(parts: list[_Part], clusters: list[str]) -> None:
    known = set(clusters)
    seen_names: set[str] = set()
    placed: dict[str, str] = {}
    for index, part in enumerate(parts, start=1):
        if part.name in seen_names:
            raise UsageError(f"--waves: wave name {part.name!r} used twice")
        seen_names.add(part.name)
        if part.kind == "rest" and index != len(parts):
            raise UsageError(f"--waves: wave {index} ({part.name}): 'rest' must be the last wave")
        for cluster in part.names:
            if cluster not in known:
                raise UsageError(
                    f"--waves: wave {index} ({part.name}): no cluster {quote(cluster, 60)} in the intent"
                    f" (clusters: {clip(', '.join(clusters), 200)})"
                )
            if cluster in placed:
                where = "twice in that wave" if placed[cluster] == part.name else f"already in wave {placed[cluster]!r}"
                raise UsageError(f"--waves: wave {index} ({part.name}): cluster {cluster!r} {where}")
            placed[cluster] = part.name
