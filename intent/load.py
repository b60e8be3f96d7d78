"""Load an intent file: strict YAML, the pydantic model, then cross-references.

Every problem is collected and reported at once as `<file>:<line>:<col>: <path>: <message>`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import types
import typing
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from intent.errors import IntentError, Problem, UsageError
from intent.model import AksCluster, EksCluster, GkeCluster, SecurityIntent
from intent.quoting import MAX_SHOWN, quote, shorten
from intent.safeio import InputFileError, read_regular_file
from intent.validate import check_references, check_spellings
from intent.yamlsafe import MAX_BYTES, Positions, format_path, read_yaml

# A last guard for messages that quote input not passed through `quote` (e.g. pydantic's own).
MAX_MESSAGE = 600
_CLUSTER_BY_TAG = {"eks": EksCluster, "gke": GkeCluster, "aks": AksCluster}


@dataclass(frozen=True, slots=True)
class LoadedIntent:
    """A validated intent with where it came from and what validation warned about."""

    intent: SecurityIntent
    path: str
    sha256: str
    warnings: tuple[Problem, ...]
    positions: Positions


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def parse_now(value: str | None) -> dt.datetime:
    """`--now` as an aware UTC datetime (a bare date means the start of that day, UTC)."""
    if value is None:
        return utc_now()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--now {value!r} is not an ISO date or datetime (e.g. 2026-12-31 or 2026-12-31T12:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def read_intent_file(path: str) -> bytes:
    """The bytes of an intent file, or a UsageError naming what is wrong with the path.

    Read bounded (intent/safeio.py): a regular file (symlinks followed) of at most MAX_BYTES;
    a FIFO or device is refused without waiting on it or reading it.
    """
    try:
        return read_regular_file(path, MAX_BYTES)
    except InputFileError as exc:
        if exc.too_large:
            raise IntentError([Problem(path, 1, 1, "", f"file {exc.cause}")]) from None
        if exc.cause.endswith("not a regular file"):
            raise UsageError(f"{exc}; pass the intent YAML file") from None
        raise UsageError(str(exc)) from None


def load_intent(path: str, now: dt.datetime | None = None) -> LoadedIntent:
    """Read, parse and validate the intent at `path`; raise IntentError with every problem."""
    raw = read_intent_file(path)
    return parse_intent(raw, path, now or utc_now())


def parse_intent(raw: bytes, path: str, now: dt.datetime) -> LoadedIntent:
    """Validate intent bytes (named `path` in messages)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntentError([Problem(path, 1, 1, "", f"not UTF-8 text (byte {exc.start})")]) from None
    data, positions, yaml_problems = read_yaml(text)
    if yaml_problems:
        raise IntentError([Problem(path, p.line, p.col, format_path(p.path), shorten(p.message, MAX_MESSAGE)) for p in yaml_problems])
    if not isinstance(data, dict):
        raise IntentError([Problem(path, 1, 1, "", "an intent is a YAML mapping starting with 'apiVersion: fleet-intent/v1'")])
    try:
        intent = SecurityIntent.model_validate(data)
    except ValidationError as exc:
        problems = _problems_from_pydantic(exc, data, positions, path)
        raise IntentError(problems + _reference_problems_despite(exc, data, positions, path, now)) from None
    found = check_references(intent, now) + check_spellings(data)
    errors = [Problem(path, *positions.of_value(loc), format_path(loc), shorten(msg, MAX_MESSAGE)) for loc, msg, warn in found if not warn]
    warnings = [
        Problem(path, *positions.of_value(loc), format_path(loc), shorten(msg, MAX_MESSAGE), warning=True) for loc, msg, warn in found if warn
    ]
    if errors:
        raise IntentError(errors)
    return LoadedIntent(intent, path, hashlib.sha256(raw).hexdigest(), tuple(warnings), positions)


def _reference_problems_despite(exc: ValidationError, data: dict, positions: Positions, path: str, now: dt.datetime) -> list[Problem]:
    """The cross-reference errors of an intent that is not structurally valid (SPEC §11: every
    problem at once), found on a copy without the list entries that hold structural errors.

    Indexes in the copy are mapped back to the file's. A reference to an entry that was left
    out (a cluster naming a team whose owner is malformed) is not reported: the structural
    error already explains it. With a structural error outside any list entry (metadata,
    podSecurity) nothing can be left out, and only the structural errors are reported.
    """
    dropped: dict[tuple, set[int]] = {}
    for error in exc.errors(include_url=False):
        loc, _ = _data_path(error["loc"], data)
        entry = _enclosing_entry(loc, data)
        if entry is None:
            return []
        dropped.setdefault(entry[:-1], set()).add(entry[-1])
    pruned, names = _without_entries(data, dropped)
    try:
        intent = SecurityIntent.model_validate(pruned)
    except ValidationError:
        return []
    problems = []
    for loc, message, warning in check_references(intent, now):
        if warning or any(quote(name) in message for name in names):
            continue
        loc = _original_path(loc, dropped)
        problems.append(Problem(path, *positions.of_value(loc), format_path(loc), shorten(message, MAX_MESSAGE)))
    return problems


def _enclosing_entry(loc: tuple, data: Any) -> tuple | None:
    """The path of the innermost mapping in a list (a team, a grant, a cluster…) holding `loc`."""
    found, node = None, data
    for depth, part in enumerate(loc):
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            if isinstance(node[part], dict):
                found = loc[: depth + 1]
        elif not (isinstance(node, dict) and part in node):
            break
        node = node[part]
    return found


def _without_entries(data: dict, dropped: dict[tuple, set[int]]) -> tuple[dict, set[str]]:
    """A copy of `data` without the `dropped` list entries, and the names or ids they had."""
    names: set[str] = set()

    def copy(node: Any, at: tuple) -> Any:
        if isinstance(node, dict):
            return {k: copy(v, at + (k,)) for k, v in node.items()}
        if isinstance(node, list):
            gone = dropped.get(at, set())
            for i in gone:
                names.update(str(node[i][key]) for key in ("name", "id") if isinstance(node[i].get(key), str))
            return [copy(v, at + (i,)) for i, v in enumerate(node) if i not in gone]
        return node

    return copy(data, ()), names


def _original_path(loc: tuple, dropped: dict[tuple, set[int]]) -> tuple:
    """Map a path in the pruned copy back to the file: each index moves past dropped entries."""
    original: list = []
    for part in loc:
        gone = dropped.get(tuple(original))
        if gone and isinstance(part, int):
            for i in sorted(gone):
                if i <= part:
                    part += 1
        original.append(part)
    return tuple(original)


def _problems_from_pydantic(exc: ValidationError, data: Any, positions: Positions, path: str) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc, model = _data_path(error["loc"], data)
        kind = error["type"]
        message = _message(error, model, loc)
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            loc = loc + ("provider",)
        if kind == "extra_forbidden":
            line, col = positions.of_key(loc)
        elif kind == "missing":
            line, col = positions.of_value(loc[:-1])
        else:
            line, col = positions.of_value(loc)
        problems.append(Problem(path, line, col, format_path(loc), shorten(message, MAX_MESSAGE)))
    return problems


def _data_path(loc: tuple, data: Any) -> tuple[tuple, type | None]:
    """Turn a pydantic `loc` into a path in the YAML data (dropping union tags), and find the
    model class that owns its last element (for "did you mean" suggestions)."""
    path: list = []
    node = data
    model: Any = SecurityIntent
    owner: Any = SecurityIntent
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            owner = model
            path.append(part)
            node = node[part]
            model = _field_type(model, part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path.append(part)
            node = node[part]
            model = _item_type(model)
        elif isinstance(part, str) and part in _CLUSTER_BY_TAG and isinstance(node, dict):
            model = _CLUSTER_BY_TAG[part]
        else:
            # A missing field or an inner validator step; keep real field names only.
            if isinstance(part, str) and not any(c in part for c in "[]()"):
                owner = model
                path.append(part)
            node = None
    return tuple(path), owner if isinstance(owner, type) else None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
            else:
                return tp
        else:
            return tp


def _field_type(model: Any, alias: str) -> Any:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for name, info in model.model_fields.items():
        if alias in (name, info.alias):
            return _unwrap(info.annotation)
    return None


def _item_type(tp: Any) -> Any:
    tp = _unwrap(tp)
    if get_origin(tp) is list:
        return _unwrap(get_args(tp)[0])
    if get_origin(tp) is dict:
        return _unwrap(get_args(tp)[1])
    return None


def _suggest(word: str, choices: list[str]) -> str:
    if len(word) > MAX_SHOWN:  # no field or option is that long; don't compare megabytes
        return ""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _message(error: dict, model: type | None, loc: tuple) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        field = str(loc[-1]) if loc else "?"
        allowed = [info.alias or name for name, info in model.model_fields.items()] if model else []
        hint = _suggest(field, allowed)
        valid = f" (valid: {', '.join(allowed)})" if allowed and not hint else ""
        return f"unknown field {quote(field)}{hint}{valid}"
    if kind == "missing":
        return f"required field {str(loc[-1])!r} is missing"
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'\"") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        return f"{quote(value)} is not one of {', '.join(options)}{_suggest(str(value), options)}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        options = ["eks", "gke", "aks"]
        if kind == "union_tag_not_found":
            return "required field 'provider' is missing (one of eks, gke, aks)"
        tag = ctx.get("tag", value)
        return f"{quote(tag)} is not one of eks, gke, aks{_suggest(str(tag), options)}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in ("string_type", "str_type"):
        hint = " (quote it)" if isinstance(value, (int, float, bool, dt.date)) else ""
        return f"expected text, got {type(value).__name__} {quote(value)}{hint}"
    if kind in ("list_type",):
        return f"expected a list, got {type(value).__name__}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping, got {type(value).__name__}"
    if kind == "too_short":
        return "must not be empty"
    msg = error["msg"]
    return msg[0].lower() + msg[1:] if msg else kind
