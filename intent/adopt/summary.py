"""The human summary of an adopt run: a line per cluster, what apply will change, and the
findings in the way (as `check` prints them)."""

from __future__ import annotations

from intent.adopt.imports import ImportsOutcome, comment_text
from intent.adopt.run import AdoptResult
from intent.check.formats import format_report


def format_summary(result: AdoptResult, outcomes: list[ImportsOutcome], out_dir: str, color: bool = False,
                   width: int | None = None) -> str:
    """The table: per cluster its status and how many resources are imported, created and
    changed; then each cluster's changes and notes; then the findings in the way."""
    adoptions = {a.cluster: a for a in result.adoptions}
    written = {o.cluster: o for o in outcomes}
    rows = [("cluster", "provider", "status", "import", "create", "change", "imports.tf")]
    for status in result.report.clusters:
        adoption = adoptions.get(status.name)
        if adoption is None:
            rows.append((status.name, status.provider, status.status, "-", "-", "-", "left as it was"))
            continue
        outcome = written.get(status.name)
        rows.append((status.name, status.provider, status.status, str(len(adoption.imports)), str(len(adoption.creates)),
                     str(len(adoption.differing)), outcome.action if outcome else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) if 3 <= i <= 5 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
             for row in rows]
    for adoption in result.adoptions:
        if not (adoption.differing or adoption.notes):
            continue
        lines += ["", f"{adoption.cluster} ({out_dir}/clusters/{adoption.cluster}):"]
        # Changes and notes quote what was read (label values, ARNs): printable ASCII only, so
        # a hostile snapshot cannot send escape sequences to the terminal.
        for target in adoption.differing:
            verb = "replaces" if target.replaced else "changes"
            lines.append(comment_text(f"  ~ {target.address}: apply {verb} " + "; ".join(target.changes)))
        lines += [comment_text(f"  note: {note}") for note in adoption.notes]
    text = "\n".join(lines) + "\n"
    findings = result.report.findings
    if findings:
        text += f"\n{len(findings)} finding(s) in the way of the first apply:\n"
        text += format_report("table", result.report, color=color, **({"width": width} if width else {}))
    else:
        text += "\nnothing in the way of the first apply\n"
    return text
