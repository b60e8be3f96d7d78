"""The human report: one table per cluster, findings grouped by severity (worst first)."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from intent.check.findings import Finding, Severity
from intent.check.report import Report
from intent.check.revision import revision_lines

STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _rows(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.severity.rank, f.rule, f.object))


def _table(title: str, findings: list[Finding], color: bool) -> Table:
    # Plain output goes to logs and files: ASCII borders survive any encoding.
    table = Table(title=title, title_justify="left", show_lines=False, expand=False,
                  box=box.HEAVY_HEAD if color else box.ASCII)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Object", overflow="fold")
    table.add_column("Expected / actual", overflow="fold")
    table.add_column("Owner", overflow="fold")
    table.add_column("Message", overflow="fold")
    for f in _rows(findings):
        owner = f"{f.team}: {f.owner}" if f.team else (f.owner or "")
        table.add_row(
            Text(f.severity.value, style=STYLES[f.severity]),
            f.rule,
            f.object,
            f"{f.expected or '-'} / {f.actual or '-'}",
            owner,
            f.message,
        )
    return table


def format_table(report: Report, *, color: bool = False, width: int = 160, **_options) -> str:
    """A readable report: a summary, then each cluster's findings worst first.

    `color` turns on terminal styling (the CLI sets it only when stdout is a terminal).
    """
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False)
    by_cluster: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_cluster.setdefault(f.cluster or "(templates)", []).append(f)
    console.print(f"fleet-intent check of {report.intent_path}", style="bold")
    for status in report.clusters:
        found = by_cluster.pop(status.name, [])
        label = "unreadable" if status.status != "ok" else f"{len(found)} finding(s)"
        if not found:
            console.print(f"{status.name} ({status.provider}): ok, no findings" if status.status == "ok" else f"{status.name} ({status.provider}): {label}")
            continue
        console.print(_table(f"{status.name} ({status.provider}): {label}", found, color))
    for name, found in sorted(by_cluster.items()):
        console.print(_table(f"{name}: {len(found)} finding(s)", found, color))
    for line in revision_lines(report):
        console.print(line, markup=False)
    counts = report.counts()
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no findings"
    readable = sum(1 for c in report.clusters if c.status == "ok")
    console.print(f"{len(report.clusters)} cluster(s), {readable} readable: {summary}")
    text = buffer.getvalue()
    if not color:
        # Plain text lands in CI logs and files: no padding at line ends.
        text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    return text
