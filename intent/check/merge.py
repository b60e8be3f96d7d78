"""Joining the JSON reports of sharded check runs into one report (`report merge`, SPEC §9)."""

from __future__ import annotations

from intent.errors import UsageError
from intent.check.report import ClusterStatus, Report
from intent.check.report_shape import ReportShapeError, check_report_shape
from intent.safeio import InputFileError, MiB, load_json_bounded, printable

# A report of thousands of clusters with every finding is tens of MiB; far beyond is not one.
MAX_REPORT_BYTES = 256 * MiB


def merge_reports(reports: list[Report], sources: list[str] | None = None) -> Report:
    """One report holding every cluster and finding of `reports` (same intent required).

    Findings are de-duplicated and sorted (cluster, rule, object). A cluster in several
    reports keeps "unreadable" if any run could not read it, so overlapping shards never
    turn a failure into a pass (and one that carries a revision over one that does not: a
    report from before revisions); `generated_at` is the latest of the runs. `sources` (one
    name per report, e.g. the file it came from) only serves error messages.
    """
    names = list(sources) if sources is not None else [f"report {i + 1}" for i in range(len(reports))]
    if not reports:
        raise UsageError("report merge: no reports given")
    shas = {r.intent_sha256 for r in reports}
    if len(shas) > 1:
        groups: dict[str, list[str]] = {}
        for name, r in zip(names, reports):
            groups.setdefault(r.intent_sha256, []).append(printable(name))
        listing = "; ".join(f"{sha[:12]}: {', '.join(files)}" for sha, files in groups.items())
        raise UsageError(f"reports are of different intents (intent sha256 {listing}); merge runs of one intent only")

    clusters: dict[str, ClusterStatus] = {}
    for name, r in zip(names, reports):
        for c in r.clusters:
            seen = clusters.get(c.name)
            if seen is not None and seen.provider != c.provider:
                raise UsageError(f"{printable(name)}: cluster {c.name!r} is {c.provider} here but {seen.provider} in another report")
            if seen is None or (seen.status == "ok" and c.status != "ok"):
                clusters[c.name] = c
            elif seen.status == c.status and seen.revision is None and c.revision is not None:
                clusters[c.name] = c  # a report from before revisions says less about the cluster
    # dict, not set: keeps each report's order among findings the sort key ties on (the
    # enforce/audit/warn findings of one namespace), so the result is deterministic and
    # equals an unsharded run's.
    findings = dict.fromkeys(f for r in reports for f in r.findings)
    times = [r.generated_at for r in reports if r.generated_at]
    return Report.build(reports[0].intent_path, reports[0].intent_sha256, clusters.values(), findings, max(times) if times else None)


def read_report(path: str) -> Report:
    """A `Report` from a `check --format json` file; UsageError naming the file and the cause.

    The file is read bounded (a regular file of at most MAX_REPORT_BYTES, JSON within the
    limits of intent/safeio.py) and must have exactly the shape `check` writes, consistent
    with itself (intent/check/report_shape.py).
    """
    try:
        data = load_json_bounded(path, MAX_REPORT_BYTES)
    except InputFileError as exc:
        raise UsageError(str(exc)) from None
    try:
        check_report_shape(data)
    except ReportShapeError as exc:
        cause = str(exc)
        if not cause.startswith(("not a fleet-intent", "report version")):
            cause = f"not a valid fleet-intent JSON report: {cause}"
        raise UsageError(f"{printable(path)}: {cause}") from None
    return Report.from_dict(data)
