"""The check report: which clusters were read and what was found (SPEC §8 JSON shape)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from intent.check.findings import Finding, Severity, sort_findings

REPORT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ClusterRevision:
    """The plan revision a cluster was found running against the one its plan is at now
    (intent/check/revision.py): `found` is a revision, or none | mixed | invalid."""

    current: str
    found: str

    @property
    def differs(self) -> bool:
        return self.found != self.current

    def to_dict(self) -> dict[str, str]:
        return {"current": self.current, "found": self.found}


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    name: str
    provider: str
    status: str  # ok | unreadable
    revision: ClusterRevision | None = None  # clusters read (reports before revisions: none)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "provider": self.provider, "status": self.status}
        if self.revision is not None:
            out["revision"] = self.revision.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ClusterStatus":
        revision = data.get("revision")
        return cls(
            data["name"],
            data["provider"],
            data["status"],
            ClusterRevision(revision["current"], revision["found"]) if revision is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Report:
    """A check run's result; findings are kept in (cluster, rule, object) order."""

    intent_path: str
    intent_sha256: str
    clusters: tuple[ClusterStatus, ...]
    findings: tuple[Finding, ...]
    generated_at: str | None = None  # ISO time of the run (the `--now` in effect)

    @classmethod
    def build(cls, intent_path: str, intent_sha256: str, clusters, findings, generated_at: str | None = None) -> "Report":
        return cls(
            intent_path,
            intent_sha256,
            tuple(sorted(clusters, key=lambda c: c.name)),
            tuple(sort_findings(findings)),
            generated_at,
        )

    def counts(self) -> dict[str, int]:
        """Number of findings per severity (every severity present, zero included)."""
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out

    def worst_at_least(self, threshold: Severity) -> bool:
        """True when any finding is at or above `threshold` (exit 1)."""
        return any(f.severity.at_least(threshold) for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": REPORT_VERSION,
            "intent": {"path": self.intent_path, "sha256": self.intent_sha256},
            "clusters": [c.to_dict() for c in self.clusters],
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.generated_at:
            out["generatedAt"] = self.generated_at
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Report":
        return cls.build(
            data["intent"]["path"],
            data["intent"]["sha256"],
            [ClusterStatus.from_dict(c) for c in data["clusters"]],
            [Finding.from_dict(f) for f in data["findings"]],
            data.get("generatedAt"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"
