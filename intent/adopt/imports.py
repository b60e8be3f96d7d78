"""imports.tf: the import blocks `adopt` writes into each generated cluster root (SPEC §12).

The file is not part of `generate`'s output (not in MANIFEST.json), so `generate` and
`generate --check` leave it alone. Import blocks need Terraform 1.5 or later
(hashicorp/terraform website/docs/language/import/index.mdx) and are only allowed in a root
module (internal/configs/config_build.go), which is why resources of the namespaces module
are addressed through it (`module.namespaces.…`).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment

from intent.errors import UsageError
from intent.generate.render import HclRaw, hcl_string, render_template
from intent.generate.writer import OutputError, replace_file
from intent.observe.adoption import ClusterAdoption

IMPORTS_FILE = "imports.tf"
TEMPLATE = "common/imports.tf.j2"
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_KEY = r'\["(?:[^"\\\x00-\x1f]|\\.)*"\]'
# `[module.<name>.]<type>.<name>[["key"]]`: the only addresses adopt writes.
ADDRESS = re.compile(rf"(?:module\.{_NAME}\.)?{_NAME}\.{_NAME}(?:{_KEY})?")
# Characters a comment may hold as they are: printable ASCII (a newline would end the comment).
_UNSAFE = re.compile(r"[^ -~]")


class ImportsError(UsageError):
    """imports.tf cannot be written where it belongs."""


@dataclass(frozen=True, slots=True)
class ImportsOutcome:
    """What adopt did with one cluster's imports.tf: written, removed or unchanged."""

    cluster: str
    action: str
    imports: int


def comment_text(text: str) -> str:
    """`text` safe inside a `#` comment: anything but printable ASCII becomes `?`."""
    return _UNSAFE.sub("?", text)


def imports_text(adoption: ClusterAdoption, env: Environment) -> str:
    """The imports.tf of one cluster (empty when nothing exists yet)."""
    if not adoption.imports:
        return ""
    items = []
    for target in adoption.imports:
        if not ADDRESS.fullmatch(target.address):
            raise ImportsError(f"cluster {adoption.cluster}: {target.address!r} is not a resource address")
        comments = [comment_text(target.object)] + [comment_text(f"apply changes {c}") for c in target.changes]
        items.append({"address": HclRaw(target.address), "id": target.id, "comments": [HclRaw(c) for c in comments]})
    text = render_template(env, TEMPLATE, adoption.cluster, cluster_name=adoption.cluster, imports=items)
    return text.rstrip("\n") + "\n"


def cluster_directory(out_dir: str | os.PathLike, cluster: str) -> Path:
    """`DIR/clusters/<cluster>`, which generate must have written: a real directory (no link
    anywhere on the way below DIR)."""
    out = Path(out_dir)
    node = out
    for part in ("clusters", cluster):
        node = node / part
        try:
            mode = os.lstat(node).st_mode
        except FileNotFoundError:
            raise ImportsError(
                f"{node}: no generated root for cluster {cluster}; run `fleet-intent generate` first"
            ) from None
        if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
            raise ImportsError(f"{node}: is not a directory (a link or a file); refusing to write imports.tf there")
    return node


def write_imports(out_dir: str | os.PathLike, adoptions: list[ClusterAdoption], env: Environment) -> list[ImportsOutcome]:
    """Write each cluster's imports.tf (or remove it when nothing exists any more).

    Every file is rendered and every directory checked before the first write, so bad input
    changes nothing; each write replaces its file atomically.
    """
    planned = [(a, cluster_directory(out_dir, a.cluster) / IMPORTS_FILE, imports_text(a, env)) for a in adoptions]
    outcomes = []
    for adoption, path, text in planned:
        try:
            current = _read_if_regular(path)
            if not text:
                if current is None:
                    action = "unchanged"
                else:
                    path.unlink()
                    action = "removed"
            elif current == text:
                action = "unchanged"
            else:
                replace_file(path, text)
                action = "written"
        except OutputError as exc:
            raise ImportsError(str(exc)) from None
        except OSError as exc:
            raise ImportsError(f"{exc.filename or path}: {exc.strerror or exc}") from None
        outcomes.append(ImportsOutcome(adoption.cluster, action, len(adoption.imports)))
    return outcomes


def _read_if_regular(path: Path) -> str | None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(mode):
        raise OutputError(f"{path}: is not a regular file; refusing to replace it")
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


__all__ = ["ADDRESS", "IMPORTS_FILE", "ImportsError", "ImportsOutcome", "hcl_string", "imports_text", "write_imports"]
