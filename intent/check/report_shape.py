"""The JSON report of SPEC §8 as `report merge` accepts it: exactly the fields `check` writes,
with their types, and consistent with itself.

A merged report is what CI gates on, so a file `check` could not have written (a cluster
"unreadable" with no finding saying why, a status nobody knows) is refused, not merged.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import fields
from typing import Any

from intent.quoting import clip
from intent.check.findings import (
    FI_AUTH_004,
    FI_COLLECT_001,
    FI_PSA_002,
    FI_TF_001,
    FI_TF_002,
    FI_TF_003,
    RULES,
    Finding,
    Severity,
)
from intent.check.report import REPORT_VERSION
from intent.check.revision import FOUND_WORDS
from intent.plan import is_revision

PROVIDERS = ("aks", "eks", "gke")
STATUSES = ("ok", "unreadable")
TOP_FIELDS = ("version", "intent", "clusters", "findings")
CLUSTER_FIELDS = ("name", "provider", "status")
CLUSTER_OPTIONAL = ("revision",)  # absent from reports written before revisions, and on unreadable clusters
REVISION_FIELDS = ("current", "found")
FINDING_FIELDS = tuple(f.name for f in fields(Finding))
FINDING_OPTIONAL = ("file", "line")  # FI-TF-* only
# Finding fields that are always a string, and those that may be null.
FINDING_TEXT = ("object", "message", "remediation")
FINDING_TEXT_OR_NULL = ("cluster", "namespace", "expected", "actual", "team", "owner", "file")
SHA256 = re.compile(r"[0-9a-f]{64}")
# Rules whose severity depends on what was found; every other rule always has the severity of
# the catalogue (a report that lowers one would slip under --fail-on).
VARYING_SEVERITY = {
    FI_PSA_002: {Severity.HIGH, Severity.MEDIUM},  # enforce high, audit/warn medium
    FI_AUTH_004: {Severity.HIGH, Severity.MEDIUM},  # broader high, narrower medium
    FI_TF_001: {Severity.INFO},  # an expression that could not be evaluated
    FI_TF_002: {Severity.INFO},
    FI_TF_003: {Severity.INFO},
}
# Only a Terraform template finding may name a cluster the run did not read (or none).
TEMPLATE_RULES = (FI_TF_001, FI_TF_002, FI_TF_003)


class ReportShapeError(ValueError):
    """What is wrong with a report document (one line, without the file name)."""


def check_report_shape(data: Any) -> None:
    """Raise ReportShapeError unless `data` is a version-1 report as `check` writes it."""
    if not isinstance(data, dict) or "findings" not in data or "intent" not in data:
        raise ReportShapeError("not a fleet-intent JSON report (expected an object with intent, clusters, findings)")
    version = data.get("version")
    if type(version) is not int or version != REPORT_VERSION:
        raise ReportShapeError(f"report version {_short(version)} is not supported (expected {REPORT_VERSION})")
    _fields(data, TOP_FIELDS, ("generatedAt",), "")
    intent = _object(data["intent"], "intent")
    _fields(intent, ("path", "sha256"), (), "intent")
    _text(intent["path"], "intent.path", empty=False)
    if not isinstance(intent["sha256"], str) or not SHA256.fullmatch(intent["sha256"]):
        raise ReportShapeError("intent.sha256 is not a sha256 hex digest (64 lowercase hex digits)")
    if "generatedAt" in data:
        _timestamp(data["generatedAt"])
    clusters = _list(data["clusters"], "clusters")
    statuses = _clusters(clusters)
    providers = {c["name"]: c["provider"] for c in clusters}
    findings = _list(data["findings"], "findings")
    for i, finding in enumerate(findings):
        _finding(finding, f"findings[{i}]")
        _of_a_listed_cluster(finding, providers, f"findings[{i}]")
    _consistent(statuses, findings)


def _clusters(clusters: list[Any]) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for i, cluster in enumerate(clusters):
        where = f"clusters[{i}]"
        _fields(_object(cluster, where), CLUSTER_FIELDS, CLUSTER_OPTIONAL, where)
        name = _text(cluster["name"], f"{where}.name", empty=False)
        _one_of(cluster["provider"], PROVIDERS, f"{where}.provider")
        statuses_seen = _one_of(cluster["status"], STATUSES, f"{where}.status")
        if "revision" in cluster:
            _revision(cluster["revision"], statuses_seen, f"{where}.revision")
        if name in statuses:
            raise ReportShapeError(f"cluster {_short(name)} is listed twice")
        statuses[name] = statuses_seen
    return statuses


def _revision(revision: Any, status: str, where: str) -> None:
    """`{"current": <revision>, "found": <revision> | none | mixed | invalid}`, on a cluster
    that was read (check writes none on an unreadable one: it found nothing)."""
    if status != "ok":
        raise ReportShapeError(f"{where} is given for a cluster that is {status} (check reads a revision only from a cluster it read)")
    _fields(_object(revision, where), REVISION_FIELDS, (), where)
    if not isinstance(revision["current"], str) or not is_revision(revision["current"]):
        raise ReportShapeError(f"{where}.current {_short(revision['current'])} is not a revision (sha256: and 16 hex digits)")
    found = revision["found"]
    if not isinstance(found, str) or not (is_revision(found) or found in FOUND_WORDS):
        raise ReportShapeError(
            f"{where}.found {_short(found)} is not a revision (sha256: and 16 hex digits) or one of: {', '.join(FOUND_WORDS)}"
        )


def _finding(finding: Any, where: str) -> None:
    _fields(_object(finding, where), tuple(f for f in FINDING_FIELDS if f not in FINDING_OPTIONAL), FINDING_OPTIONAL, where)
    if not isinstance(finding["rule"], str) or finding["rule"] not in RULES:
        raise ReportShapeError(f"{where}.rule {_short(finding['rule'])} is not a known rule")
    _one_of(finding["severity"], tuple(s.value for s in Severity), f"{where}.severity")
    rule = finding["rule"]
    allowed = {RULES[rule].severity} | VARYING_SEVERITY.get(rule, set())
    if Severity(finding["severity"]) not in allowed:
        raise ReportShapeError(
            f"{where}.severity {finding['severity']!r} is not a severity {rule} has "
            f"({', '.join(sorted(s.value for s in allowed))})"
        )
    if finding["provider"] is not None:
        _one_of(finding["provider"], PROVIDERS, f"{where}.provider")
    for name in FINDING_TEXT:
        _text(finding[name], f"{where}.{name}")
    for name in FINDING_TEXT_OR_NULL:
        if name in finding and finding[name] is not None and not isinstance(finding[name], str):
            raise ReportShapeError(f"{where}.{name} is not a string or null")
    line = finding.get("line")
    if line is not None and (type(line) is not int or line < 1):
        raise ReportShapeError(f"{where}.line is not a positive integer or null")


def _of_a_listed_cluster(finding: dict[str, Any], providers: dict[str, str], where: str) -> None:
    if finding["rule"] in TEMPLATE_RULES:
        return
    cluster = finding["cluster"]
    if cluster not in providers:
        raise ReportShapeError(f"{where} is about cluster {_short(cluster)}, which the report does not list")
    if finding["provider"] != providers[cluster]:
        raise ReportShapeError(
            f"{where}.provider {_short(finding['provider'])} is not that of cluster {_short(cluster)} ({providers[cluster]})"
        )


def _consistent(statuses: dict[str, str], findings: list[dict[str, Any]]) -> None:
    """A cluster is unreadable exactly when the run said why: an FI-COLLECT-001 finding for it."""
    collected = {f["cluster"] for f in findings if f["rule"] == FI_COLLECT_001}
    for name, status in statuses.items():
        if status == "unreadable" and name not in collected:
            raise ReportShapeError(
                f"cluster {_short(name)} is unreadable but has no FI-COLLECT-001 finding "
                "(a check run always reports why a cluster could not be read)"
            )
    for name in sorted(collected, key=str):
        if statuses.get(name) != "unreadable":
            listed = "lists as ok" if name in statuses else "does not list"
            raise ReportShapeError(f"FI-COLLECT-001 finding for cluster {_short(name)}, which the report {listed}")


def _fields(value: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...], where: str) -> None:
    prefix = f"{where}: " if where else ""
    for name in required:
        if name not in value:
            raise ReportShapeError(f"{prefix}missing field {name!r}")
    for name in value:
        if name not in required and name not in optional:
            raise ReportShapeError(f"{prefix}unknown field {_short(name)}")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ReportShapeError(f"{where} is not a JSON object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ReportShapeError(f"{where} is not a JSON list")
    return value


def _text(value: Any, where: str, empty: bool = True) -> str:
    if not isinstance(value, str) or (not empty and not value):
        raise ReportShapeError(f"{where} is not a {'' if empty else 'non-empty '}string")
    return value


def _one_of(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ReportShapeError(f"{where} {_short(value)} is not one of: {', '.join(allowed)}")
    return value


def _timestamp(value: Any) -> None:
    try:
        dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ReportShapeError("generatedAt is not an ISO date-time string") from None


def _short(value: Any) -> str:
    """A value for a message: repr, cut so that a hostile value cannot flood the line."""
    return clip(repr(value), 60)
