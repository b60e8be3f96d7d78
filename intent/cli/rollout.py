"""`fleet-intent rollout`: apply the generated cluster roots wave by wave, verifying each wave
before the next (SPEC §15; docs/rollout.md)."""

from __future__ import annotations

import shlex

import click

from intent.check.findings import Severity
from intent.cli.main import RunInfo, audit_log_option, echo_warnings, intent_argument, load, now_option
from intent.progress import wanted
from intent.rollout.journal import DEFAULT_JOURNAL


@click.command("rollout")
@intent_argument
@click.option("-o", "--output", "output", default="out", show_default=True, metavar="DIR", type=click.Path(file_okay=False),
              help="The generated output whose DIR/clusters/<cluster> roots are applied.")
@click.option("--waves", "waves_spec", required=True, metavar="SPEC",
              help="';'-separated waves, each [name:] a comma list of clusters, N% of the clusters not yet placed, or rest.")
@click.option("--terraform", "terraform", default="terraform", show_default=True, metavar="PATH",
              help="The Terraform binary (a path, or a name on PATH).")
@click.option("--verify", "verify", default="live", show_default=True, metavar="live|snapshot=DIR|none",
              help="How each wave is checked after its apply.")
@click.option("--snapshot-command", "snapshot_command", metavar="CMD",
              help="Shell command run before each wave's check to write the snapshot DIR "
                   "(env FLEET_INTENT_CLUSTERS, FLEET_INTENT_SNAPSHOT_DIR, FLEET_INTENT_WAVE).")
@click.option("--journal", "journal_path", default=DEFAULT_JOURNAL, show_default=True, metavar="FILE",
              type=click.Path(dir_okay=False), help="The append-only journal of outcomes (outside DIR).")
@click.option("--resume", is_flag=True, help="Skip clusters the journal shows applied from this intent.")
@click.option("--dry-run", is_flag=True, help="Print the waves and the commands each would run; run and write nothing.")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
              help="Cluster roots applied at once within a wave.")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]), default="high", show_default=True,
              help="Halt when a wave's check finds a finding at or above this severity.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=20.0, show_default=True,
              help="Seconds one cluster's live check may take (--verify live).")
@now_option
@audit_log_option
@click.pass_context
def command(ctx: click.Context, intent_path, output, waves_spec, terraform, verify, snapshot_command, journal_path, resume,
            dry_run, concurrency, fail_on, timeout, now_text) -> None:
    """Apply the cluster roots of INTENT's generated output wave by wave: terraform init and
    apply per cluster (concurrently within a wave), then check the wave's clusters; a failed
    apply or a finding at or above --fail-on halts before the next wave (exit 1)."""
    info: RunInfo = ctx.obj if isinstance(ctx.obj, RunInfo) else RunInfo()
    info.command = "rollout"
    loaded, now = load(intent_path, now_text, info)
    echo_warnings(loaded)
    from intent.rollout import run as rollout
    from intent.rollout.summary import dry_run_lines, format_summary
    from intent.rollout.verify import parse_verify
    from intent.rollout.journal import read_journal
    from intent.rollout.terraform import resolve_terraform
    from intent.rollout.waves import parse_waves

    clusters = [c.name for c in loaded.intent.clusters]
    waves = parse_waves(waves_spec, clusters)
    info.clusters = clusters
    verification = parse_verify(verify, snapshot_command)
    binary = resolve_terraform(terraform)
    rollout.check_output_dir(output, loaded, intent_path)
    rollout.check_journal_outside(journal_path, output)
    roots = rollout.cluster_roots(output, clusters)

    if dry_run:
        state = read_journal(journal_path)
        for note in rollout.resume_notes(state, journal_path, loaded.sha256, resume, clusters):
            click.echo(note, err=True)
        from intent.plan import plan_fleet

        exclusive = rollout.exclusive_resources(plan_fleet(loaded.intent, now))
        for line in dry_run_lines(waves, roots, binary, verification, state, resume, loaded.sha256, exclusive):
            click.echo(line)
        ctx.exit(0)

    options = rollout.RolloutOptions(
        out_dir=output, terraform=binary, verification=verification, journal_path=journal_path, resume=resume,
        concurrency=concurrency, fail_on=Severity(fail_on), timeout=timeout, now=now, progress=wanted(),
    )
    result = rollout.run_rollout(loaded, waves, options, lambda line: click.echo(line, err=True))
    info.waves = [o.to_audit() for o in result.waves]
    info.counts = _counts(result)
    words = [intent_path, "-o", output, "--waves", waves_spec]
    if journal_path != DEFAULT_JOURNAL:
        words += ["--journal", journal_path]
    hint = "fleet-intent rollout " + " ".join(shlex.quote(w) for w in words) + " ... --resume"
    click.echo(format_summary(result, hint), nl=False)
    if result.interrupted:
        raise KeyboardInterrupt  # `main` reports it as one line, exit 130, audited
    ctx.exit(result.exit_code)


def _counts(result) -> dict[str, int]:
    """Blocking findings by severity, for the audit line."""
    counts: dict[str, int] = {}
    for outcome in result.waves:
        for findings in outcome.blocking.values():
            for finding in findings:
                counts[finding.severity.value] = counts.get(finding.severity.value, 0) + 1
    return counts
