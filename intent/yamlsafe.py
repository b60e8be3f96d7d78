"""A strict YAML reader that keeps the position of every node.

Refuses what could hide or smuggle a grant: duplicate keys, anchors/aliases, merge keys, any
non-core tag, several documents, oversized files. Every problem carries `line:col` (1-based).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from intent.quoting import quote, shorten
from intent.safeio import printable

MAX_BYTES = 10 * 1024 * 1024
# PyYAML's safe loader, in C (libyaml) where PyYAML was built with it: the same documents, faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Path = tuple  # of str | int

_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_STR_TAG = "tag:yaml.org,2002:str"
# What each core tag reads, for "cannot read 'x' as ..." messages.
_TAG_MEANS = {
    "tag:yaml.org,2002:int": "an integer",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean (true or false)",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date (YYYY-MM-DD) or timestamp",
    "tag:yaml.org,2002:map": "a mapping",
    "tag:yaml.org,2002:seq": "a list",
}
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
# No intent field needs a longer number; YAML 1.1 base-60 integers (1:30:30...) take quadratic
# time to build, so a long one is refused before it is computed.
MAX_NUMBER_CHARS = 64


@dataclass(frozen=True, slots=True)
class YamlProblem:
    line: int
    col: int
    path: Path
    message: str


@dataclass(frozen=True, slots=True)
class Positions:
    """Where each value (and each mapping key) of a document sits."""

    values: dict  # path -> (line, col)
    keys: dict  # path -> (line, col) of the key that introduces it

    def of_value(self, path: Path) -> tuple[int, int]:
        """Position of the value at `path`, or of the nearest enclosing node."""
        path = tuple(path)
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def of_key(self, path: Path) -> tuple[int, int]:
        """Position of the key that introduces `path` (falls back to the value)."""
        path = tuple(path)
        if path in self.keys:
            return self.keys[path]
        return self.of_value(path)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that notes anchors and aliases while composing (they are refused later)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.refused: list[YamlProblem] = []

    def compose_node(self, parent, index):  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self.refused.append(_at(event.start_mark, (), f"YAML aliases (*{event.anchor}) are not allowed in an intent; write the value out"))
        elif getattr(event, "anchor", None) is not None:
            self.refused.append(_at(event.start_mark, (), f"YAML anchors (&{event.anchor}) are not allowed in an intent; write values out"))
        return super().compose_node(parent, index)


def read_yaml(text: str) -> tuple[Any, Positions, list[YamlProblem]]:
    """Parse one YAML document; return (data, positions, problems).

    With problems, `data` is None. Only core-schema scalars, mappings with string keys and
    sequences come back.
    """
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_BYTES:
        return None, Positions({}, {}), [YamlProblem(1, 1, (), f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB")]
    fast = _read_with_libyaml(text)
    if fast is not None:
        return fast
    try:
        loader = _StrictLoader(text)
    except yaml.YAMLError as exc:  # the reader refuses control characters up front
        return None, Positions({}, {}), [YamlProblem(1, 1, (), f"YAML error: {_one_line(exc)}")]
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            if "expected a single document" in str(exc):
                return None, Positions({}, {}), [_at(exc.problem_mark, (), "only one YAML document is allowed (remove '---')")]
            mark = exc.problem_mark or exc.context_mark
            message = (exc.problem or str(exc)).strip()
            if exc.context:
                message = f"{exc.context.strip()}: {message}"
            return None, Positions({}, {}), [_at(mark, (), f"YAML syntax error: {message}")]
        except yaml.YAMLError as exc:
            return None, Positions({}, {}), [YamlProblem(1, 1, (), f"YAML error: {_one_line(exc)}")]
        except RecursionError:
            return None, Positions({}, {}), [YamlProblem(1, 1, (), "YAML document is nested too deeply")]
        if node is None:
            return None, Positions({}, {}), [YamlProblem(1, 1, (), "the file is empty; an intent starts with 'apiVersion: fleet-intent/v1'")]
        builder = _Builder(loader, skip_aliases=bool(loader.refused))
        try:
            data = builder.build(node, ())
        except RecursionError:
            return None, Positions({}, {}), [YamlProblem(1, 1, (), "YAML document is nested too deeply")]
        positions = Positions(builder.values, builder.keys)
        problems = loader.refused + builder.problems
        if problems:
            return None, positions, problems
        return data, positions, []
    finally:
        loader.dispose()


def _read_with_libyaml(text: str):
    """The fast path for clean documents, when PyYAML has libyaml: C events, C composer.

    Returns None whenever the document needs the careful path (anchors, aliases, any error),
    so every problem is still found and worded by the pure-Python reader.
    """
    c_loader = getattr(yaml, "CSafeLoader", None)
    if c_loader is None:
        return None
    try:
        for event in yaml.parse(text, Loader=c_loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                return None
        loader = c_loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    if node is None:
        return None
    builder = _Builder(c_loader(""))
    try:
        data = builder.build(node, ())
    except RecursionError:
        return None
    if builder.problems:
        return None
    return data, Positions(builder.values, builder.keys), []


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _at(mark, path: Path, message: str) -> YamlProblem:
    if mark is None:
        return YamlProblem(1, 1, path, message)
    return YamlProblem(mark.line + 1, mark.column + 1, path, message)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, skip_aliases: bool = False):
        self.loader = loader
        self.seen_nodes: set[int] = set()
        self.skip_aliases = skip_aliases
        self.values: dict = {}
        self.keys: dict = {}
        self.problems: list[YamlProblem] = []

    def build(self, node: Node, path: Path) -> Any:
        if self.skip_aliases and not isinstance(node, ScalarNode):
            # An alias re-uses a node; it was already refused, so don't walk it twice (or forever).
            if id(node) in self.seen_nodes:
                return None
            self.seen_nodes.add(id(node))
        self.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag not in _CORE_TAGS:
            self.problems.append(
                _at(node.start_mark, path, f"YAML tag {node.tag!r} is not allowed; only plain values, lists and maps")
            )
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        value, problem = self._scalar(node, "value")
        if problem:
            self.problems.append(_at(node.start_mark, path, problem))
        return value

    def _scalar(self, node: ScalarNode, what: str) -> tuple[Any, str | None]:
        """Construct a core-schema scalar; (None, message) when its tag cannot take the text.

        PyYAML's constructors fail on such text with whatever error their code happens to hit
        (KeyError for `!!bool abc`, IndexError for `!!int ""`, AttributeError for
        `!!timestamp foo`, ValueError for `2020-02-30`), so any failure here means the same:
        the value cannot be read as its tag says.
        """
        if node.tag == _STR_TAG:
            return node.value, None
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
            return None, f"cannot read {what} {quote(node.value)}: a number of {len(node.value)} characters is too long (quote it to use it as text)"
        try:
            return self.loader.construct_object(node, deep=True), None
        except Exception as exc:  # noqa: BLE001 -- see the docstring
            detail = _one_line(exc) if isinstance(exc, (ValueError, OverflowError)) else ""
            means = _TAG_MEANS.get(node.tag, node.tag)
            implicit = node.style is None and self.loader.resolve(ScalarNode, node.value, (True, False)) == node.tag
            short = node.tag.rsplit(":", 1)[-1]
            fix = "quote it to use it as text" if implicit else f"remove the !!{short} tag or write {means}"
            return None, f"cannot read {what} {quote(node.value)} as {means}{': ' + shorten(detail) if detail else ''}; {fix}"

    def _mapping(self, node: MappingNode, path: Path) -> dict:
        out: dict = {}
        seen: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(_at(key_node.start_mark, path, "YAML merge keys ('<<') are not allowed; write the fields out"))
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _CORE_TAGS:
                self.problems.append(_at(key_node.start_mark, path, "mapping keys must be plain strings"))
                continue
            key, problem = self._scalar(key_node, "key")
            if problem:
                self.problems.append(_at(key_node.start_mark, path, problem))
                continue
            if not isinstance(key, str):
                # `on:`/`yes:`/`1:` keys turn into bools and ints in YAML 1.1; keep them as text.
                key = key_node.value
            if key in seen:
                line, col = seen[key]
                self.problems.append(
                    _at(key_node.start_mark, path + (key,), f"duplicate key {quote(key)} (first defined at line {line}); a repeated key silently replaces the first")
                )
                continue
            seen[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            self.keys[path + (key,)] = seen[key]
            out[key] = self.build(value_node, path + (key,))
        return out


def format_path(path: Path) -> str:
    """`('teams', 0, 'name')` -> `teams[0].name` (a very long key is shortened)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            part = shorten(printable(str(part)))  # a key holding a newline must not break the line
            out += f".{part}" if out else part
    return out
