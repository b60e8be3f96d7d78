"""The command line: parses arguments, calls library code, prints, and picks the exit code.

This is the only module that prints errors and exits (SPEC §6: 0 ok, 1 findings or stale
output, 2 invalid input or usage). Library code raises `FleetIntentError` subclasses. Two
more ends, each one line and audited like any run: Ctrl-C is `interrupted`, exit 130; an
exception nothing expected is `internal error: ...`, exit 2 (a bug, never mistaken for
findings), with its traceback only when FLEET_INTENT_DEBUG is set.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback

import click

from intent.quoting import clip
from intent import __version__
from intent.errors import FleetIntentError, IntentError, UsageError

DEBUG_ENV = "FLEET_INTENT_DEBUG"  # set: an internal error also prints its traceback

# Modules under intent/cli/ that each define `command` (a click command).
COMMAND_MODULES: tuple[str, ...] = (
    "generate", "verify", "report", "explain", "snapshot", "check", "adopt", "migrate_eks", "rollout", "history",
)


class RunInfo:
    """What a command learned, for the audit trail (set by commands, read by `main`)."""

    def __init__(self) -> None:
        self.command: str | None = None
        self.intent_path: str | None = None
        self.intent_sha256: str | None = None
        self.clusters: list[str] = []
        self.counts: dict[str, int] = {}
        self.audit_log: str | None = None
        self.waves: list[dict] = []  # rollout: one entry per wave (names, counts)


def echo_warnings(loaded) -> None:
    for warning in loaded.warnings:
        click.echo(str(warning), err=True)


def load(path: str, now_text: str | None, info: RunInfo | None = None):
    """Load and validate an intent for a command; record it in `info`."""
    from intent.load import load_intent, parse_now

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


def cluster_source_options(command):
    """`--snapshot DIR`, `--live`, `--concurrency` and `--timeout`: where the clusters of a
    command that reads them come from (check, adopt); `state_source` turns them into a source."""
    for option in reversed((
        click.option("--snapshot", "snapshot_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False),
                     help="Read clusters from a snapshot directory (DIR/<cluster>/...; layout in docs/live.md)."),
        click.option("--live", is_flag=True, help="Read clusters through the Kubernetes and cloud APIs."),
        click.option("--concurrency", type=click.IntRange(min=1), default=16, show_default=True,
                     help="Clusters read at once (--live)."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=20.0, show_default=True,
                     help="Seconds one cluster may take, all calls and retries included (--live)."),
    )):
        command = option(command)
    return command


def fail_on_option(what: str):
    """`--fail-on SEVERITY` (default high): exit 1 when `what` is at or above it."""
    from intent.check.findings import Severity

    return click.option("--fail-on", type=click.Choice([s.value for s in Severity]), default="high", show_default=True,
                        help=f"Exit 1 when {what} is at or above this severity.")



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
    from intent.model import json_schema

    click.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


@cli.command()
@intent_argument
@click.option("--cluster", "clusters", multiple=True, metavar="NAME", help="Only this cluster (repeatable).")
@now_option
@click.pass_obj
def plan(info: RunInfo, intent_path: str, clusters: tuple[str, ...], now_text: str | None) -> None:
    """Print the provider-neutral desired state of each cluster as JSON."""
    from intent.plan import plan_fleet

    loaded, now = load(intent_path, now_text, info)
    echo_warnings(loaded)
    selected = select_clusters(loaded.intent, clusters)
    fleet = plan_fleet(loaded.intent, now, selected)
    click.echo(json.dumps({"clusters": [c.to_dict() for c in fleet.clusters]}, indent=2))


def write_report(path: str, text: str) -> None:
    """Write a report to `-o path`: a regular file atomically (a partial report is never left
    behind), a FIFO or device written through; see `writer.write_file`."""
    from intent.errors import OutputError
    from intent.generate.writer import write_file

    try:
        write_file(path, text)
    except OutputError as exc:
        raise UsageError(f"-o {exc}") from None
    except OSError as exc:
        raise UsageError(f"-o {path}: cannot write ({exc.strerror or exc})") from None


def state_source(snapshot_dir: str | None, live: bool, *, concurrency: int = 1, timeout: float = 20.0, progress: bool = True):
    """The source of cluster documents `--snapshot DIR` or `--live` name (they are exclusive),
    None when neither is given."""
    if snapshot_dir and live:
        raise UsageError("--snapshot and --live are exclusive: read clusters from one source")
    from intent.progress import wanted

    if live:
        from intent.observe.collect import LiveSource

        return LiveSource(concurrency=concurrency, timeout=timeout, progress=progress and wanted())
    if snapshot_dir:
        from intent.observe.snapshot import SnapshotDirSource

        return SnapshotDirSource(snapshot_dir, progress=progress and wanted())
    return None


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
        module = importlib.import_module(f"intent.cli.{name}")
        cli.add_command(module.command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI and turn every failure into a one-line cause."""
    from intent.logs import configure_logging

    configure_logging()  # library log records stay off the terminal (FLEET_INTENT_DEBUG shows them)
    _register_commands()
    info = RunInfo()
    args = list(sys.argv[1:] if argv is None else argv)
    error: str | None = None
    try:
        code = _invoke(args, info)
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
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()  # a bare `fleet-intent` or `fleet-intent report`: the help is the answer
        code = 2
        error = "no command given"
    except click.ClickException as exc:
        error = click_error_line(exc, args)
        click.echo(f"error: {error}", err=True)
        code = 2
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
    except SystemExit as exc:  # SIGTERM or SIGHUP during live reads unwinds as SystemExit(128 + signal)
        code = exc.code if isinstance(exc.code, int) else 2
        if code in (128 + 1, 128 + 15):
            error = "terminated" if code == 128 + 15 else "terminated (hangup)"
            click.echo(error, err=True)
    except Exception as exc:  # noqa: BLE001 - a bug: still one line, exit 2, and audited
        error = internal_error(exc)
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        click.echo(f"{error} (please report it; {DEBUG_ENV}=1 shows the traceback)", err=True)
        code = 2
    code = _audit(info, code, error, args)
    sys.exit(code)


def internal_error(exc: BaseException) -> str:
    """One line for an exception no code path expected: its type and message, secret-looking
    values redacted, cut short. The traceback is printed only with FLEET_INTENT_DEBUG set."""
    from intent.redaction import redact

    message = clip(redact(" ".join(str(exc).split())), 300)
    return f"internal error: {type(exc).__name__}" + (f": {message}" if message else "")


def click_error_line(exc: click.ClickException, args: list[str]) -> str:
    """A click usage error as one line, pointing at the failing command's --help (click's own
    form is four lines: Usage, Try, a blank line, Error)."""
    message = " ".join(exc.format_message().split()).removesuffix(".")
    if message[:2].istitle():  # "Missing argument" -> "missing argument", "ID ..." kept
        message = message[0].lower() + message[1:]
    if isinstance(exc, click.UsageError):
        ctx = getattr(exc, "ctx", None)
        message += f" (see '{ctx.command_path if ctx else _command_path(args)} --help')"
    return message


def _command_path(args: list[str]) -> str:
    """`fleet-intent report merge` for args naming that command (for errors click raises
    before it has a context)."""
    path, command = ["fleet-intent"], cli
    for arg in args:
        if arg.startswith("-") or not isinstance(command, click.Group) or arg not in command.commands:
            break
        command = command.commands[arg]
        path.append(arg)
    return " ".join(path)


def _invoke(args: list[str], info: RunInfo) -> int:
    """Run the command line; the exit code a command returned (0 for None).

    Not `cli.main`: on Ctrl-C it prints a blank line and raises Abort, which would hide the
    KeyboardInterrupt that `main` reports as one line and exit 130.
    """
    with cli.make_context("fleet-intent", args, obj=info) as ctx:
        code = cli.invoke(ctx)
    return code if isinstance(code, int) else 0


def _audit(info: RunInfo, code: int, error: str | None, args: list[str]) -> int:
    """Append the audit record of a generate/check/rollout run; a log that cannot be written is exit 2."""
    from intent.evidence.audit import audit_run

    try:
        audit_run(info, code, error, args)
    except FleetIntentError as exc:  # its message names the log
        click.echo(f"error: {exc}", err=True)
        return 2
    except OSError as exc:
        click.echo(f"error: audit log: {exc.strerror or exc}", err=True)
        return 2
    return code
