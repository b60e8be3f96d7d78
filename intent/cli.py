"""The command line: parses arguments, calls library code, prints, and picks the exit code.

This is the only module that prints errors and exits (SPEC §6: 0 ok, 1 findings or stale
output, 2 invalid input or usage). Library code raises `FleetIntentError` subclasses.
"""

from __future__ import annotations

import importlib
import json
import sys

import click

from . import __version__
from .errors import FleetIntentError, IntentError, UsageError

# Modules under intent/commands/ that each define `command` (a click command).
COMMAND_MODULES: tuple[str, ...] = ("generate", "verify", "report", "explain", "snapshot", "check")


class RunInfo:
    """What a command learned, for the audit trail (set by commands, read by `main`)."""

    def __init__(self) -> None:
        self.command: str | None = None
        self.intent_path: str | None = None
        self.intent_sha256: str | None = None
        self.clusters: list[str] = []
        self.counts: dict[str, int] = {}
        self.audit_log: str | None = None


def echo_warnings(loaded) -> None:
    for warning in loaded.warnings:
        click.echo(str(warning), err=True)


def load(path: str, now_text: str | None, info: RunInfo | None = None):
    """Load and validate an intent for a command; record it in `info`."""
    from .load import load_intent, parse_now

    now = parse_now(now_text)
    loaded = load_intent(path, now)
    if info is not None:
        info.intent_path = path
        info.intent_sha256 = loaded.sha256
    return loaded, now


def _set_audit_log(ctx: click.Context, _param, value: str | None) -> str | None:
    if value:
        ctx.find_object(RunInfo).audit_log = value
    return value


audit_log_option = click.option(
    "--audit-log",
    metavar="FILE",
    expose_value=False,
    callback=_set_audit_log,
    help="Append one JSON line describing this run to FILE (default: $FLEET_INTENT_AUDIT_LOG).",
)

now_option = click.option(
    "--now", "now_text", metavar="DATE", help="ISO date or datetime taken as 'now' for exception expiry (default: the current UTC time)."
)
intent_argument = click.argument("intent_path", metavar="INTENT", type=click.Path(dir_okay=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="fleet-intent")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """One security intent for a fleet of EKS, GKE and AKS clusters.

    Validate the intent, generate provider Terraform from it, and check live clusters,
    snapshots and Terraform templates for drift. Exit codes: 0 ok, 1 findings or stale
    output, 2 invalid input.
    """
    ctx.obj = ctx.obj or RunInfo()


@cli.command()
@intent_argument
@now_option
@click.pass_obj
def validate(info: RunInfo, intent_path: str, now_text: str | None) -> None:
    """Validate INTENT: schema, cross-references and provider prerequisites."""
    loaded, _ = load(intent_path, now_text, info)
    echo_warnings(loaded)
    intent = loaded.intent
    click.echo(
        f"{intent_path}: valid ({len(intent.teams)} teams, "
        f"{sum(len(t.namespaces) for t in intent.teams)} namespaces, {len(intent.clusters)} clusters)"
    )


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the intent format (for editor completion)."""
    from .model import json_schema

    click.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


@cli.command()
@intent_argument
@click.option("--cluster", "clusters", multiple=True, metavar="NAME", help="Only this cluster (repeatable).")
@now_option
@click.pass_obj
def plan(info: RunInfo, intent_path: str, clusters: tuple[str, ...], now_text: str | None) -> None:
    """Print the provider-neutral desired state of each cluster as JSON."""
    from .plan import plan_fleet

    loaded, now = load(intent_path, now_text, info)
    echo_warnings(loaded)
    selected = select_clusters(loaded.intent, clusters)
    fleet = plan_fleet(loaded.intent, now, selected)
    click.echo(json.dumps({"clusters": [c.to_dict() for c in fleet.clusters]}, indent=2))


def write_report(path: str, text: str) -> None:
    """Write a report to `-o path` atomically (a partial report is never left behind)."""
    from .writer import replace_file

    try:
        replace_file(path, text)
    except OSError as exc:
        raise UsageError(f"-o {path}: cannot write ({exc.strerror or exc})") from None


def select_clusters(intent, names: tuple[str, ...]) -> list[str] | None:
    """Validate `--cluster` names against the intent; None means all."""
    if not names:
        return None
    known = [c.name for c in intent.clusters]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"--cluster {unknown[0]!r}: no such cluster in the intent (clusters: {', '.join(known)})")
    return list(names)


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"intent.commands.{name}")
        cli.add_command(module.command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI and turn every failure into a one-line cause."""
    from .logs import configure_logging

    configure_logging()  # library log records stay off the terminal (FLEET_INTENT_DEBUG shows them)
    _register_commands()
    info = RunInfo()
    args = list(sys.argv[1:] if argv is None else argv)
    error: str | None = None
    try:
        code = cli.main(args=args, prog_name="fleet-intent", standalone_mode=False, obj=info)
        code = code if isinstance(code, int) else 0
    except IntentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} problem(s) found", err=True)
        code = exc.exit_code
        error = f"{len(exc.problems)} problem(s) in the intent; first: {exc.problems[0]}"
    except FleetIntentError as exc:
        click.echo(f"error: {exc}", err=True)
        code = exc.exit_code
        error = str(exc)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = 2
        error = exc.format_message()
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        code = 2
        error = "aborted"
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        code = 130
        error = "interrupted"
    except BrokenPipeError:
        code = 1
    code = _audit(info, code, error, args)
    sys.exit(code)


def _audit(info: RunInfo, code: int, error: str | None, args: list[str]) -> int:
    """Append the audit record of a generate/check run; a log that cannot be written is exit 2."""
    from .evidence import audit_run

    try:
        audit_run(info, code, error, args)
    except FleetIntentError as exc:  # its message names the log
        click.echo(f"error: {exc}", err=True)
        return 2
    except OSError as exc:
        click.echo(f"error: audit log: {exc.strerror or exc}", err=True)
        return 2
    return code
