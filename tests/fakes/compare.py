"""Compare collected documents with the snapshot the fakes served, by meaning where spellings differ."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .providers import az_form


def served(root: Path, cluster: str) -> dict[str, Any]:
    """Every document of `cluster` under a snapshot directory, keyed like a StateSource's."""
    base = root / cluster
    return {p.relative_to(base).as_posix(): json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(base.rglob("*.json"))}


def _az(document: dict[str, Any]) -> dict[str, Any]:
    form = az_form(document)
    form["id"] = str(form.get("id", "")).lower()  # ARM ids are case-insensitive
    return form


def differences(got: dict[str, Any], root: Path, cluster: str) -> list[str]:
    """What differs between collected documents and the served snapshot (empty when the same).

    Kubernetes, AWS and Google documents must be equal. Azure documents are compared in az's
    spelling (the snapshot mixes ARM and az spellings on purpose); a federated-credential list
    may hold more than the snapshot's, since a shared identity also trusts other clusters.
    """
    want = served(root, cluster)
    problems = [f"{cluster}: missing {p}" for p in sorted(set(want) - set(got))]
    problems += [f"{cluster}: unexpected {p}" for p in sorted(set(got) - set(want))]
    every_fic = {d["id"]: d for c in sorted(p.name for p in root.iterdir() if p.is_dir())
                 for d in map(_az, served(root, c).get("azure/federated-credentials.json", []))}
    for path in sorted(set(want) & set(got)):
        mine, theirs = got[path], want[path]
        if path == "azure/federated-credentials.json":
            mine_ids = {d["id"]: d for d in map(_az, mine)}
            theirs_ids = {d["id"]: d for d in map(_az, theirs)}
            if not set(theirs_ids) <= set(mine_ids) or any(mine_ids[i] != every_fic.get(i) for i in mine_ids):
                problems.append(f"{cluster}: {path} differs")
            continue
        if path.startswith("azure/"):
            if isinstance(theirs, list):
                mine = sorted(map(_az, mine), key=lambda d: d["id"])
                theirs = sorted(map(_az, theirs), key=lambda d: d["id"])
            else:
                mine, theirs = _az(mine), _az(theirs)
        if mine != theirs:
            problems.append(f"{cluster}: {path} differs")
    return problems
