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
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment

from intent.errors import UsageError
from intent.generate.render import HclRaw, render_template
from intent.generate.writer import OutputError, OutputPaths, read_existing, replace_file
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


def imports_path(out_dir: str | os.PathLike, cluster: str) -> Path:
    """`DIR/clusters/<cluster>/imports.tf`, in a root generate must have written; no link on the
    way below DIR (the writer's own rule, `OutputPaths`)."""
    try:
        path = OutputPaths(Path(out_dir))(f"clusters/{cluster}/{IMPORTS_FILE}")
    except OutputError as exc:
        raise ImportsError(str(exc)) from None
    if not path.parent.is_dir():
        raise ImportsError(f"{path.parent}: no generated root for cluster {cluster}; run `fleet-intent generate` first")
    return path


def write_imports(out_dir: str | os.PathLike, adoptions: list[ClusterAdoption], env: Environment) -> list[ImportsOutcome]:
    """Write each cluster's imports.tf (or remove it when nothing exists any more).

    Every file is rendered and every directory checked before the first write, so bad input
    changes nothing; each write replaces its file atomically. Only a regular file is ever
    replaced or removed (`replace_file`; a link is left as it is).
    """
    planned = [(a, imports_path(out_dir, a.cluster), imports_text(a, env)) for a in adoptions]
    outcomes = []
    for adoption, path, text in planned:
        current = read_existing(path)
        try:
            if not text:
                action = "unchanged" if current is None else "removed"
                if current is not None:
                    path.unlink()
            elif current == text.encode("utf-8"):
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
