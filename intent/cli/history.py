"""`fleet-intent history`: read the findings history that `check --history DB` records (SPEC §14)."""

from __future__ import annotations

import click

from intent.cli.main import write_report

HISTORY_ENV = "FLEET_INTENT_HISTORY"  # lets a CronJob pass a URL with credentials outside argv


def history_option(required: bool):
    """`--history DB`: a SQLite file path or a postgresql:// URL (default: $FLEET_INTENT_HISTORY)."""
    return click.option(
        "--history", "history_db", metavar="DB", envvar=HISTORY_ENV, required=required, show_envvar=True,
        help="Findings history: a SQLite file path or a postgresql:// URL.",
    )


def _now(now_text: str | None):
    from intent.load import parse_now

    return parse_now(now_text)


def _emit(text: str, output: str | None) -> None:
    if output:
        write_report(output, text)
    else:
        click.echo(text, nl=not text.endswith("\n"))


@click.group("history")
def command() -> None:
    """Read the findings history recorded by `check --history DB`."""


@command.command("summary")
@history_option(required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
@click.option("--now", "now_text", metavar="DATE", help="ISO date or datetime ages are measured to (default: now).")
def summary(history_db: str, fmt: str, output: str | None, now_text: str | None) -> None:
    """Open findings by team, severity and age; resolved ones; mean time to remediation per team and rule."""
    from intent.history import query, render
    from intent.history.schema import open_history

    now = _now(now_text)
    with open_history(history_db, create=False) as history:
        data = query.summary(history, now)
    _emit(render.to_json(data) if fmt == "json" else render.summary_table(data), output)


@command.command("trend")
@history_option(required=True)
@click.option("--by", type=click.Choice(["team", "rule", "cluster", "severity"]), help="One series per team, rule, cluster or severity.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True,
              help="html: a self-contained page with the chart (no network).")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout.")
def trend(history_db: str, by: str | None, fmt: str, output: str | None) -> None:
    """Open findings across the fleet after each scan, in all or per team, rule, cluster or severity."""
    from intent.history import query, render
    from intent.history.schema import open_history

    with open_history(history_db, create=False) as history:
        data = query.trend(history, by)
    if fmt == "html":
        from intent.history.chart import trend_html

        text = trend_html(data)
    else:
        text = render.to_json(data) if fmt == "json" else render.trend_table(data)
    _emit(text, output)


@command.command("stale")
@history_option(required=True)
@click.option("--older-than", "older_than", metavar="DURATION", required=True,
              help="e.g. 90m, 24h, 7d: clusters not read successfully for longer are stale.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--now", "now_text", metavar="DATE", help="ISO date or datetime to measure from (default: now).")
@click.pass_context
def stale(ctx: click.Context, history_db: str, older_than: str, fmt: str, now_text: str | None) -> None:
    """List clusters whose last successful read is older than DURATION (or never happened).
    Exit 1 when there is one: a check that silently stopped running is itself a finding."""
    from intent.history import query, render
    from intent.history.schema import open_history
    from intent.history.timefmt import parse_duration

    limit = parse_duration(older_than)
    now = _now(now_text)
    with open_history(history_db, create=False) as history:
        data = query.stale(history, now, limit)
    _emit(render.to_json(data) if fmt == "json" else render.stale_table(data), None)
    ctx.exit(1 if data["stale"] else 0)
