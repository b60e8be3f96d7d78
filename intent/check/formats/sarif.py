"""SARIF 2.1.0 output for GitHub code scanning and other SARIF viewers (SPEC §8)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import PurePath
from typing import Any

from intent import __version__
from intent.check.findings import RULES, Finding, Severity
from intent.check.report import Report

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "fleetIntentFinding/v1"

# SARIF has three result levels; critical and high both map to "error". GitHub ranks
# security alerts by the rule's `security-severity` instead, a numeric string 0.0-10.0
# (>= 9.0 critical, >= 7.0 high, >= 4.0 medium, > 0 low):
# https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def format_sarif(report: Report, *, base_dir: str | None = None, **_options: Any) -> str:
    """Return `report` as a SARIF 2.1.0 log (JSON text, one run, one rule per rule id).

    Every result has a physical location, which GitHub requires: FI-TF-* findings point
    at their template file and line; all others point at line 1 of the intent file, the
    one place a reader can act on them. Paths are emitted relative (to `base_dir` when
    given and the path is under it); relative paths are taken as relative to the
    repository root (`%SRCROOT%`).
    """
    rule_ids = list(RULES)
    extra = sorted({f.rule for f in report.findings} - set(RULES))
    rule_ids += extra  # a finding of an unknown rule still gets a (minimal) descriptor
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    fingerprints = _fingerprints(report.findings)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "fleet-intent",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(rule_id) for rule_id in rule_ids],
            }
        },
        "results": [
            _result(f, index[f.rule], fingerprint, report.intent_path, base_dir)
            for f, fingerprint in zip(report.findings, fingerprints)
        ],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "intent": {"path": report.intent_path, "sha256": report.intent_sha256},
            "clusters": [{"name": c.name, "provider": c.provider, "status": c.status} for c in report.clusters],
        },
    }
    if report.generated_at:
        run["properties"]["generatedAt"] = report.generated_at
    log = {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(rule_id: str) -> dict[str, Any]:
    rule = RULES.get(rule_id)
    if rule is None:
        return {"id": rule_id, "name": _pascal(rule_id), "shortDescription": {"text": rule_id}}
    markdown = (
        f"**{rule.title}** ({rule.id}, default severity {rule.severity.value})\n\n"
        f"{rule.meaning}\n\n**Remediation:** {rule.remediation}\n\n"
        f"Run `fleet-intent explain {rule.id}` for details."
    )
    return {
        "id": rule.id,
        "name": _pascal(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.meaning},
        "help": {"text": f"{rule.meaning}\n\nRemediation: {rule.remediation}", "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "problem.severity": "error" if rule.severity.at_least(Severity.HIGH) else "warning",
            "precision": "very-high",
            "tags": ["security", "kubernetes", rule.id.split("-")[1].lower()],
        },
    }


def _result(f: Finding, rule_index: int, fingerprint: str, intent_path: str, base_dir: str | None) -> dict[str, Any]:
    if f.file:
        uri, line = _artifact_uri(f.file, base_dir), max(f.line or 1, 1)
    else:
        uri, line = _artifact_uri(intent_path, base_dir), 1
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}, "region": {"startLine": line}}
    if not _is_absolute_uri(uri):
        physical["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
    logical = []
    if f.cluster:
        logical.append({"name": f.cluster, "fullyQualifiedName": f.cluster, "kind": "cluster"})
    qualified = f"{f.cluster}/{f.object}" if f.cluster else f.object
    logical.append({"name": f.object, "fullyQualifiedName": qualified, "kind": "resource"})
    where = f"cluster {f.cluster}" if f.cluster else "every cluster"
    text = f"{f.message} ({where}, {f.object}"
    text += f"; owner {f.owner})" if f.owner else ")"
    properties: dict[str, Any] = {
        "severity": f.severity.value,
        "cluster": f.cluster,
        "provider": f.provider,
        "namespace": f.namespace,
        "object": f.object,
        "expected": f.expected,
        "actual": f.actual,
        "team": f.team,
        "owner": f.owner,
        "remediation": f.remediation,
    }
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": physical, "logicalLocations": logical}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": {k: v for k, v in properties.items() if v is not None},
    }


def _fingerprints(findings) -> list[str]:
    """A stable hash of (rule, cluster, object) per finding.

    GitHub tracks an alert across runs by its fingerprint, so it must not change when
    only the observed value does. Findings sharing rule, cluster and object (the enforce,
    audit and warn levels of one namespace) would merge into one alert, so those alone
    also hash their namespace and expected value and, if still alike, their message.
    """
    keys = [(f.rule, f.cluster or "", f.object) for f in findings]
    for extra in (lambda f: (f.namespace or "", f.expected or ""), lambda f: (f.message,)):
        counts = Counter(keys)
        keys = [key + extra(f) if counts[key] > 1 else key for f, key in zip(findings, keys)]
    return [_digest(*key) for key in keys]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _artifact_uri(path: str, base_dir: str | None) -> str:
    pure = PurePath(path)
    if base_dir and pure.is_absolute():
        try:
            pure = pure.relative_to(base_dir)
        except ValueError:
            pass
    if pure.is_absolute():
        return pure.as_uri()
    # URI-escape the characters a file name may hold but a relative reference may not.
    return re.sub(r"[^A-Za-z0-9._~/!$&'()*+,;=:@-]", lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), pure.as_posix())


def _is_absolute_uri(uri: str) -> bool:
    return uri.startswith("file:")


def _pascal(text: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", text) if word)
