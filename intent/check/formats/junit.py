"""JUnit XML output for CI test-report views (GitLab, Jenkins, Azure DevOps) (SPEC §8)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

from intent.check.findings import FI_COLLECT_001, RULES, Finding
from intent.check.report import Report

FLEET_SUITE = "(fleet-wide)"  # findings without a cluster: unmatched Terraform templates
READABLE_CASE = "cluster readable"

# XML 1.0 cannot carry most control characters, even escaped; a finding quoting a
# hostile label value must still yield a parseable report.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def format_junit(report: Report, **_options: Any) -> str:
    """Return `report` as JUnit XML: one testsuite per cluster, one testcase per checked object.

    Each cluster's suite starts with a "cluster readable" case (failed by FI-COLLECT-001,
    an error when the cluster is unreadable without that finding), then one case per
    finding, named after its object and rule, carrying one failure. So a suite's
    `failures` equals its number of findings.
    """
    by_cluster: dict[str | None, list[Finding]] = {}
    for f in report.findings:
        by_cluster.setdefault(f.cluster, []).append(f)
    providers = {c.name: c.provider for c in report.clusters}
    statuses = {c.name: c.status for c in report.clusters}
    names: list[str | None] = sorted(set(statuses) | {c for c in by_cluster if c is not None})
    if None in by_cluster:
        names.append(None)

    root = ET.Element("testsuites", name="fleet-intent")
    totals = Counter()
    for name in names:
        suite = _suite(name, providers.get(name or ""), statuses.get(name or ""), by_cluster.get(name, []), report)
        root.append(suite)
        for key in ("tests", "failures", "errors"):
            totals[key] += int(suite.get(key))
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(name: str | None, provider: str | None, status: str | None, findings: list[Finding], report: Report) -> ET.Element:
    suite = ET.Element("testsuite", name=_clean(name or FLEET_SUITE))
    if report.generated_at:
        suite.set("timestamp", _clean(report.generated_at))
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("provider", provider),
        ("status", status),
        ("intent", report.intent_path),
        ("intent.sha256", report.intent_sha256),
    ):
        if value:
            ET.SubElement(props, "property", name=key, value=_clean(value))
    classname = _clean(f"fleet-intent.{name}" if name else "fleet-intent.fleet")
    tests = failures = errors = 0

    if name is not None:
        collect = [f for f in findings if f.rule == FI_COLLECT_001]
        case = ET.SubElement(suite, "testcase", name=READABLE_CASE, classname=classname)
        tests += 1
        for f in collect:
            _failure(case, f)
            failures += 1
        if status == "unreadable" and not collect:
            error = ET.SubElement(case, "error", message="cluster could not be read", type=FI_COLLECT_001)
            error.text = "The cluster is marked unreadable in the report; nothing about it is known."
            errors += 1
        findings = [f for f in findings if f.rule != FI_COLLECT_001]

    for f, label in zip(findings, _case_names(findings)):
        case = ET.SubElement(suite, "testcase", name=_clean(label), classname=classname)
        if f.file:
            case.set("file", _clean(f.file))
            if f.line:
                case.set("line", str(f.line))
        _failure(case, f)
        tests += 1
        failures += 1

    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    return suite


def _case_names(findings: list[Finding]) -> list[str]:
    """`<object> [<rule>]`, plus the message where that alone would repeat (enforce, audit, warn of one namespace)."""
    names = [f"{f.object} [{f.rule}]" for f in findings]
    counts = Counter(names)
    names = [f"{name}: {f.message}" if counts[name] > 1 else name for f, name in zip(findings, names)]
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out


def _failure(case: ET.Element, f: Finding) -> None:
    failure = ET.SubElement(case, "failure", message=_clean(f"{f.rule}: {f.message}"), type=f.rule)
    rule = RULES.get(f.rule)
    lines = [
        ("rule", f"{f.rule} ({rule.title})" if rule else f.rule),
        ("severity", f.severity.value),
        ("cluster", f"{f.cluster} ({f.provider})" if f.cluster and f.provider else f.cluster),
        ("namespace", f.namespace),
        ("object", f.object),
        ("file", f"{f.file}:{f.line}" if f.file and f.line else f.file),
        ("expected", f.expected),
        ("actual", f.actual),
        ("team", f.team),
        ("owner", f.owner),
        ("remediation", f.remediation),
    ]
    failure.text = _clean("\n".join(f"{key}: {value}" for key, value in lines if value) + "\n")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)
