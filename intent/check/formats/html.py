"""A self-contained HTML fleet report: cluster × rule matrix, per-team view, filterable findings (SPEC §8)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from intent import __version__
from intent.check.findings import RULES, Finding, Severity
from intent.check.report import Report
from intent.check.revision import revision_lines
from intent.check.formats._html_assets import SCRIPT, STYLE, TEMPLATE

NO_TEAM = "(cluster-wide)"  # team names are DNS-1123 labels, so this cannot clash with one
NO_CLUSTER = "(every cluster)"  # unmatched Terraform templates hold for the whole fleet


def format_html(report: Report, **_options: Any) -> str:
    """Return `report` as one HTML page with inline CSS and JS and no network assets.

    Every value from the report is HTML-escaped by Jinja2's autoescape, and a
    Content-Security-Policy admits only the page's own script and stylesheet (by hash),
    so a hostile string in a finding renders as text and never runs.
    """
    from jinja2 import Environment, StrictUndefined
    from markupsafe import Markup

    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(TEMPLATE)
    # Worst first: a reader scans the table top-down; the JSON keeps (cluster, rule, object).
    findings = [_finding_view(f) for f in sorted(report.findings, key=lambda f: (-f.severity.rank, f.sort_key()))]
    matrix_rules, matrix = _matrix(report)
    return template.render(
        csp=_csp(),
        version=__version__,
        style=Markup(STYLE),
        script=Markup(SCRIPT),
        intent_path=report.intent_path,
        intent_sha256=report.intent_sha256,
        generated_at=report.generated_at,
        clusters=report.clusters,
        unreadable=sum(1 for c in report.clusters if c.status != "ok"),
        revisions=revision_lines(report),
        counts=list(report.counts().items()),
        matrix_rules=matrix_rules,
        matrix=matrix,
        teams=_teams(findings),
        severity_ranks=[(s.value, s.rank) for s in Severity],
        findings=findings,
    )


def _csp() -> str:
    """A policy that loads nothing from anywhere and runs only this page's own script and style."""

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    return (
        f"default-src 'none'; script-src {digest(SCRIPT)}; style-src {digest(STYLE)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )


def _finding_view(f: Finding) -> dict[str, Any]:
    rule = RULES.get(f.rule)
    return {
        "rule": f.rule,
        "title": rule.title if rule else f.rule,
        "severity": f.severity.value,
        "rank": f.severity.rank,
        "cluster": f.cluster or "",
        "cluster_label": f.cluster or NO_CLUSTER,
        "namespace": f.namespace or "",
        "object": f.object,
        "team_key": f.team or NO_TEAM,
        "team_label": f.team or NO_TEAM,
        "owner": f.owner or "",
        "expected": f.expected or "",
        "actual": f.actual or "",
        "message": f.message,
        "remediation": f.remediation,
        "file": f.file,
        "line": f.line,
    }


def _matrix(report: Report) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Columns (rules with findings, catalogue order) and one row per cluster with (count, worst) cells."""
    present = {f.rule for f in report.findings}
    rule_ids = [r for r in RULES if r in present] + sorted(present - set(RULES))
    columns = [{"id": r, "title": RULES[r].title if r in RULES else r} for r in rule_ids]
    cells: dict[tuple[str | None, str], list[Severity]] = {}
    for f in report.findings:
        cells.setdefault((f.cluster, f.rule), []).append(f.severity)
    rows = [{"name": c.name, "label": c.name, "provider": c.provider, "status": c.status} for c in report.clusters]
    known = {c.name for c in report.clusters}
    extra = sorted({f.cluster for f in report.findings if f.cluster and f.cluster not in known})
    rows += [{"name": name, "label": name, "provider": "", "status": "unknown"} for name in extra]
    if any(f.cluster is None for f in report.findings):
        rows.append({"name": "", "label": NO_CLUSTER, "provider": "", "status": "template"})
    for row in rows:
        key = row["name"] or None
        row["cells"] = []
        for rule_id in rule_ids:
            severities = cells.get((key, rule_id), [])
            worst = max(severities, key=lambda s: s.rank).value if severities else ""
            row["cells"].append({"rule": rule_id, "count": len(severities), "worst": worst})
    return columns, rows


def _teams(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Teams with findings (alphabetical, cluster-wide last), each with its owners and findings."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        groups.setdefault(f["team_key"], []).append(f)
    keys = sorted(k for k in groups if k != NO_TEAM) + ([NO_TEAM] if NO_TEAM in groups else [])
    out = []
    for key in keys:
        items = sorted(groups[key], key=lambda f: (-f["rank"], f["cluster"], f["rule"], f["object"]))
        owners = sorted({f["owner"] for f in items if f["owner"]})
        out.append({"key": key, "label": key, "owners": owners, "findings": items})
    return out
