"""Find and parse users' Terraform files: blocks with their file and start line, and markers.

python-hcl2 (v8.1) does not put line numbers into its dict output (`with_meta` is accepted
but unused), so each top-level block's line is read from the raw Lark parse tree and paired
with the serialized block by (block type, labels). Comments are dropped by the dict output,
so `# fleet-intent/cluster: <name>` markers are read from the raw text.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from intent.safeio import InputFileError, MiB, read_regular_file
from intent.check.terraform.hclvalues import decode

SKIP_DIRS = {".terraform", ".git"}
MAX_TF_BYTES = 16 * MiB  # a template is kilobytes; the cap only bounds a hostile file
_MARKER = re.compile(r"^[ \t]*(?:#|//)[ \t]*fleet-intent/cluster[ \t]*:[ \t]*([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*$", re.M)


@dataclass(frozen=True, slots=True)
class Block:
    """One top-level block of a Terraform file, its body decoded (see hclvalues.decode)."""

    kind: str  # resource | data | module | locals | variable | output | ...
    type: str  # resource/data type; "" for module and others
    name: str  # resource/data/module name; "" for unlabelled blocks
    body: dict[str, Any]
    file: str  # display path: the DIR as given joined with the file's relative path
    line: int
    text: tuple[str, ...] = ()  # the block's source lines, for locating an entry inside it

    def line_of(self, pattern: str) -> int:
        """The line of the first source line of this block matching regex `pattern`, else the block's."""
        regex = re.compile(pattern)
        for offset, source in enumerate(self.text):
            if regex.search(source):
                return self.line + offset
        return self.line

    @property
    def address(self) -> str:
        """The Terraform address: `type.name`, `data.type.name` or `module.name`."""
        if self.kind == "resource":
            return f"{self.type}.{self.name}"
        if self.kind == "data":
            return f"data.{self.type}.{self.name}"
        if self.kind == "module":
            return f"module.{self.name}"
        return self.kind


@dataclass(frozen=True, slots=True)
class Marker:
    """A `# fleet-intent/cluster: <name>` comment."""

    cluster: str
    file: str
    line: int


@dataclass
class ModuleDir:
    """The parsed `.tf` files of one directory (one Terraform module)."""

    path: str  # display path of the directory
    files: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)


def discover(root: str) -> dict[str, list[str]]:
    """{directory display path: [file display paths]} of every `.tf` under `root`, sorted.

    `root` may also be a single `.tf` file. `.terraform/` and `.git/` are skipped.
    """
    if os.path.isfile(root):
        return {os.path.dirname(root) or ".": [root]}
    found: dict[str, list[str]] = {}
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        tf_files = sorted(f for f in files if f.endswith(".tf"))
        if not tf_files:
            continue
        rel = os.path.relpath(current, root)
        display_dir = root if rel == "." else os.path.join(root, rel)
        found[display_dir] = [os.path.join(display_dir, f) for f in tf_files]
    return found


def _label_text(node: Any) -> str:
    """The text of a block label (a quoted string or a bare identifier) in the raw Lark tree."""
    from lark import Token

    parts: list[str] = []
    for token in node.scan_values(lambda v: isinstance(v, Token)):
        if token.type in ("STRING_CHARS", "NAME", "ESCAPED_INTERPOLATION"):
            parts.append(str(token))
    return "".join(parts)


def _block_lines(tree: Any) -> dict[tuple[str, ...], deque[tuple[int, int]]]:
    """{(kind, *labels): (start, end) lines in order} for the top-level blocks of a raw parse tree."""
    lines: dict[tuple[str, ...], deque[tuple[int, int]]] = defaultdict(deque)
    bodies = [c for c in tree.children if getattr(c, "data", None) == "body"]
    for body in bodies:
        for child in body.children:
            if getattr(child, "data", None) != "block":
                continue
            key: list[str] = []
            for part in child.children:
                if getattr(part, "data", None) not in ("identifier", "string"):
                    break  # labels end at the opening brace
                key.append(_label_text(part))
            lines[tuple(key)].append((child.meta.line, child.meta.end_line))
    return lines


def _strip(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == '"' and label[-1] == '"' else label


def parse_text(text: str, display: str) -> tuple[list[Block], list[Marker]]:
    """The blocks and markers of one file's text; raises on a syntax error."""
    import hcl2
    from hcl2.utils import SerializationOptions

    tree = hcl2.parses_to_tree(text)
    lines = _block_lines(tree)
    options = SerializationOptions(with_comments=False, preserve_heredocs=False)
    data = hcl2.serialize(hcl2.transform(tree, discard_comments=True), serialization_options=options)

    source = text.splitlines()
    blocks: list[Block] = []
    for kind, entries in data.items():
        if not isinstance(entries, list):
            continue  # a top-level attribute (only valid in .tfvars)
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            blocks.extend(_blocks_of(kind, entry, display, lines, source))
    blocks.sort(key=lambda b: b.line)
    markers = [
        Marker(m.group(1), display, text.count("\n", 0, m.start()) + 1) for m in _MARKER.finditer(text)
    ]
    return blocks, markers


def _blocks_of(kind: str, entry: dict, display: str, lines: dict, source: list[str]) -> list[Block]:
    out: list[Block] = []

    def make(rtype: str, name: str, body: dict, key: tuple[str, ...]) -> Block:
        start, end = _pop_line(lines, key)
        return Block(kind, rtype, name, decode(body), display, start, tuple(source[max(start - 1, 0) : end]))

    labelled = [(k, v) for k, v in entry.items() if not k.startswith("__")]
    if kind in ("resource", "data"):
        for type_label, named in labelled:
            if not isinstance(named, dict):
                continue
            for name_label, body in named.items():
                if name_label.startswith("__") or not isinstance(body, dict):
                    continue
                rtype, name = _strip(type_label), _strip(name_label)
                out.append(make(rtype, name, body, (kind, rtype, name)))
    elif kind == "module" or kind in ("provider", "variable", "output"):
        for name_label, body in labelled:
            if not isinstance(body, dict):
                continue
            name = _strip(name_label)
            out.append(make("", name, body, (kind, name)))
    else:
        out.append(make("", "", entry, (kind,)))
    return out


def _pop_line(lines: dict, key: tuple[str, ...]) -> tuple[int, int]:
    queue = lines.get(key)
    return queue.popleft() if queue else (0, 0)


def parse_module(directory: str, files: list[str], errors: list[str]) -> ModuleDir:
    """Parse every file of one module directory; a file that fails adds to `errors` and is skipped."""
    module = ModuleDir(directory, list(files))
    for path in files:
        try:
            # Universal newlines, as text mode read them: a CRLF template keeps its markers.
            text = read_regular_file(path, MAX_TF_BYTES).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            errors.append(f"{path}: cannot parse: not UTF-8 text")
            continue
        except InputFileError as exc:  # a FIFO, a device, too large: never waited on or read whole
            errors.append(str(exc))
            continue
        try:
            blocks, markers = parse_text(text, path)
        except Exception as exc:  # lark raises several unrelated types for bad syntax
            if getattr(exc, "line", None) and getattr(exc, "column", None):
                cause = f"syntax error at line {exc.line}, column {exc.column}"
            else:
                cause = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            errors.append(f"{path}: cannot parse: {cause}")
            continue
        module.blocks.extend(blocks)
        module.markers.extend(markers)
    return module
