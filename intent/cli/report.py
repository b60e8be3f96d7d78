"""`fleet-intent report merge`: join the JSON reports of sharded check runs (SPEC §6, §9)."""

from __future__ import annotations

import click

from intent.cli.main import write_report
from intent.check.findings import Severity
from intent.check.formats import FORMATS


@click.group("report")
def command() -> None:
    """Work with JSON reports written by `check --format json`."""


@command.command("merge", short_help="Join JSON reports of one intent into one report.")
@click.argument("paths", metavar="REPORT.json...", nargs=-1, required=True)
@click.option("--format", "format_name", type=click.Choice(list(FORMATS)), default="json", show_default=True, help="Output format.")
@click.option("-o", "--output", metavar="FILE", help="Write the merged report to FILE instead of stdout.")
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    default=None,
    help="Exit 1 when a finding is at or above this severity (default: exit 0 whatever was found).",
)
def merge(paths: tuple[str, ...], format_name: str, output: str | None, fail_on: str | None) -> int:
    """Merge REPORT.json files of one intent, such as `check --shard K/N` runs, into one report.

    Clusters and findings are unioned, duplicates dropped, findings sorted. With a single
    file this converts a JSON report into another format.
    """
    from intent.check.merge import merge_reports, read_report
    from intent.check.formats import format_report

    reports = [read_report(path) for path in paths]
    merged = merge_reports(reports, list(paths))
    text = format_report(format_name, merged)
    if output:
        write_report(output, text)
    else:
        click.echo(text, nl=not text.endswith("\n"))
    if fail_on and merged.worst_at_least(Severity(fail_on)):
        return 1
    return 0
