"""`fleet-intent adopt`: import blocks for what clusters already hold (SPEC §12)."""

from __future__ import annotations

import json
import shutil
import sys

import click

from intent.check.findings import Severity
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
)
from intent.errors import UsageError


@click.command("adopt")
@intent_argument
@cluster_source_options
@click.option("-o", "--output", "output", default="out", show_default=True, metavar="DIR", type=click.Path(file_okay=False),
              help="The generated output: imports.tf goes into DIR/clusters/<cluster>/.")
@click.option("--cluster", "clusters", multiple=True, metavar="NAME", help="Only this cluster (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Summary format.")
@fail_on_option("a finding in the way")
@click.option("--templates", "templates_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False),
              help="The --templates DIR generate used (the roots must be current).")
@now_option
@audit_log_option
@click.pass_context
def command(ctx: click.Context, intent_path, snapshot_dir, live, output, clusters, fmt, fail_on, concurrency, timeout,
            templates_dir, now_text) -> None:
    """Write DIR/clusters/<cluster>/imports.tf for every generated resource that already exists
    on the clusters of INTENT (read from --snapshot DIR or --live), and summarise per cluster
    what the first apply imports, creates and changes. Findings that stand in the way are
    reported as `check` reports them; exit 1 when one is at or above --fail-on."""
    info: RunInfo = ctx.obj if isinstance(ctx.obj, RunInfo) else RunInfo()
    info.command = "adopt"
    source = state_source(snapshot_dir, live, concurrency=concurrency, timeout=timeout)
    if source is None:
        raise UsageError("nothing to adopt from: give --snapshot DIR or --live")
    loaded, now = load(intent_path, now_text, info)
    echo_warnings(loaded)
    from intent.adopt.imports import write_imports
    from intent.adopt.run import run_adopt
    from intent.generate.render import make_environment, render_fleet
    from intent.generate.writer import check_output
    from intent.plan import plan_fleet

    selected = select_clusters(loaded.intent, clusters)
    fleet = plan_fleet(loaded.intent, now, selected)
    info.clusters = [c.name for c in fleet.clusters]
    env = make_environment(templates_dir)
    # Import blocks name the roots' addresses: they must be the roots this intent generates.
    staleness = check_output(output, render_fleet(fleet, env), loaded.sha256, selected)
    if staleness.stale:
        raise UsageError(
            f"{output} is not the current output of {intent_path} ({len(staleness.added)} added, "
            f"{len(staleness.changed)} changed, {len(staleness.removed)} removed); run "
            f"`fleet-intent generate {intent_path} -o {output}` first"
        )
    result = run_adopt(loaded, fleet, source, now)
    outcomes = write_imports(output, list(result.adoptions), env)
    info.counts = result.report.counts()

    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        from intent.adopt.summary import format_summary

        color = sys.stdout.isatty()
        width = shutil.get_terminal_size().columns if color else None
        click.echo(format_summary(result, outcomes, output, color=color, width=width), nl=False)
    ctx.exit(1 if result.report.worst_at_least(Severity(fail_on)) else 0)
