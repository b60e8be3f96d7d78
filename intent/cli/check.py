"""`fleet-intent check`: compare snapshots or live clusters (and Terraform templates) with the
intent and report drift as findings (SPEC §6-§8)."""

from __future__ import annotations

import os
import shutil
import sys

import click

from intent.cli.main import (
    RunInfo,
    audit_log_option,
    echo_warnings,
    intent_argument,
    load,
    now_option,
    select_clusters,
    cluster_source_options,
    fail_on_option,
    state_source,
    write_report,
)
from intent.errors import UsageError
from intent.check.findings import Severity
from intent.check.formats import FORMATS, format_report


@click.command("check")
@intent_argument
@cluster_source_options
@click.option("--terraform", "terraform", multiple=True, metavar="DIR",
              help="Also check user Terraform templates in DIR, or NAME=DIR to compare them with cluster NAME (repeatable).")
@click.option("--cluster", "clusters", multiple=True, metavar="NAME", help="Only this cluster (repeatable).")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True,
              help="Report format.")
@click.option("-o", "--output", "output", metavar="FILE", help="Write the report to FILE instead of stdout.")
@fail_on_option("a finding")
@click.option("--shard", "shard", metavar="K/N", help="Check only the K-th of N stable slices of the clusters.")
@click.option("--history", "history_db", metavar="DB", envvar="FLEET_INTENT_HISTORY", show_envvar=True,
              help="Record this scan and its findings in a history: a SQLite file path or a postgresql:// URL.")
@now_option
@audit_log_option
@click.pass_context
def command(ctx: click.Context, intent_path, snapshot_dir, live, terraform, clusters, fmt, output, fail_on,
            concurrency, timeout, shard, history_db, now_text) -> None:
    """Check INTENT against snapshots (--snapshot DIR) or live clusters (--live), and/or
    Terraform templates (--terraform DIR). Exit 1 when a finding is at or above --fail-on."""
    info: RunInfo = ctx.obj if isinstance(ctx.obj, RunInfo) else RunInfo()
    info.command = info.command or "check"
    source = state_source(snapshot_dir, live, concurrency=concurrency, timeout=timeout)
    if not (source or terraform):
        raise UsageError("nothing to check: give --snapshot DIR or --live (and/or --terraform DIR)")
    loaded, now = load(intent_path, now_text, info)
    echo_warnings(loaded)
    from intent.plan import plan_fleet

    names = select_clusters(loaded.intent, clusters) or [c.name for c in loaded.intent.clusters]
    if shard:
        from intent.check.shard import parse_shard, select_shard

        k, n = parse_shard(shard)
        names = list(select_shard(list(names), k, n))
    fleet = plan_fleet(loaded.intent, now, names)
    info.clusters = [c.name for c in fleet.clusters]
    if history_db is not None:
        from intent.history.schema import open_history

        # Before reading any cluster: a bad path or URL, a newer schema or an unreachable
        # server fails now, not after a long live read.
        open_history(history_db, create=True).close()

    extra, errors = [], []
    if terraform:
        from intent.check.terraform import scan_terraform

        extra, errors = scan_terraform(list(terraform), fleet, loaded.intent)
        for error in errors:
            click.echo(f"error: {error}", err=True)

    from intent.check.run import run_check
    from intent.check.report import Report

    if source is not None:
        report = run_check(loaded, fleet, source, now, extra)
    else:
        report = Report.build(loaded.path, loaded.sha256, [], extra, generated_at=now.isoformat())
    info.counts = report.counts()

    options = {}
    if fmt == "table" and output is None and sys.stdout.isatty():
        options = {"color": True, "width": shutil.get_terminal_size().columns}
    if fmt == "sarif":
        options = {"base_dir": os.getcwd()}
    if history_db is not None:
        # Templates that could not be read count as not checked: their FI-TF findings stay open.
        result = _record(history_db, report, fleet, terraform=bool(terraform) and not errors, shard=shard,
                         filtered=bool(clusters))
        if fmt == "prometheus":
            options = result.prometheus_options(report)
    text = format_report(fmt, report, **options)
    if output:
        write_report(output, text)
    else:
        click.echo(text, nl=not text.endswith("\n"))
    if terraform and errors:
        # A template that cannot be read must not pass: the rest was still scanned and reported.
        raise UsageError(f"{len(errors)} Terraform file(s) could not be checked")
    ctx.exit(1 if report.worst_at_least(Severity(fail_on)) else 0)


def _record(history_db: str, report, fleet, *, terraform: bool, shard: str | None, filtered: bool):
    """Record the scan in the history (one transaction) and say what changed on stderr."""
    from intent.history.record import ScanInput, plan_exceptions, record_scan
    from intent.history.schema import open_history

    scan = ScanInput(report, tuple(c.name for c in fleet.clusters), terraform=terraform, shard=shard,
                     cluster_filter=filtered, exceptions=plan_exceptions(fleet))
    with open_history(history_db, create=True) as history:
        result = record_scan(history, scan)
        click.echo(f"history: scan recorded in {history.label}: {result.opened} opened, {result.reopened} reopened, "
                   f"{result.resolved} resolved, {result.still_open} still open", err=True)
    return result
