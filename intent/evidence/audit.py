"""The append-only audit log (SPEC §10): one JSON line per generate, check, adopt and rollout run, always.

Records hold who ran what against which intent and with what result, and never a
credential: only the command name and flag *names* are kept, never argument values or the
environment, and error text is redacted.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import stat
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from intent import __version__
from intent.check.findings import Severity
from intent.errors import UsageError
from intent.redaction import redact

AUDIT_LOG_ENV = "FLEET_INTENT_AUDIT_LOG"
ACTOR_ENV = "FLEET_INTENT_ACTOR"

# CI systems' "who started this run" variables, checked in this order after FLEET_INTENT_ACTOR.
CI_ACTOR_VARIABLES = (
    "GITHUB_ACTOR",  # GitHub Actions
    "GITLAB_USER_LOGIN",  # GitLab CI
    "BUILD_REQUESTEDFOR",  # Azure Pipelines
    "BUILDKITE_BUILD_CREATOR",  # Buildkite
    "CIRCLE_USERNAME",  # CircleCI
    "BITBUCKET_STEP_TRIGGERER_UUID",  # Bitbucket Pipelines
    "BUILD_USER_ID",  # Jenkins (build-user-vars plugin)
    "DRONE_BUILD_TRIGGER",  # Drone
)
_MAX_ERROR = 500


def utc_timestamp(now: dt.datetime | None = None) -> str:
    """The current (or given) time as ISO 8601 UTC with a `Z` suffix, to the millisecond."""
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def resolve_actor(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(actor, where it came from): FLEET_INTENT_ACTOR, a CI actor variable, else the OS user."""
    env = os.environ if environ is None else environ
    for name in (ACTOR_ENV, *CI_ACTOR_VARIABLES):
        value = env.get(name, "").strip()
        if value:
            return value, name
    try:
        return getpass.getuser(), "os-user"
    except (KeyError, OSError, ImportError):
        # getpass fails in containers running as a uid without a passwd entry.
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown", "os-user"


def flag_names(argv: Sequence[str] | None) -> list[str]:
    """The `--flag` / `-f` names in `argv`, without their values (values may carry secrets)."""
    names: list[str] = []
    for arg in argv or ():
        if arg == "--":
            break
        if arg.startswith("--") and len(arg) > 2:
            names.append(arg.split("=", 1)[0])
        elif arg.startswith("-") and len(arg) == 2 and arg[1] != "-":
            names.append(arg)
    return sorted(set(names))

def audit_record(
    command: str,
    intent_sha256: str | None,
    clusters: list[str],
    counts: dict[str, int],
    exit_code: int,
    error: str | None = None,
    *,
    flags: Iterable[str] = (),
    now: dt.datetime | None = None,
    environ: Mapping[str, str] | None = None,
    waves: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """One audit-log record for a run (SPEC §10); holds no argument values and no environment.

    `counts` maps severity names to finding counts; every severity is present in the record.
    `flags` are flag names only (see `flag_names`); `error` is redacted and cut to one line.
    `waves` (rollout only) is one entry per wave: its name, clusters and counts, kept as given.
    """
    actor, actor_source = resolve_actor(environ)
    severities = {s.value: 0 for s in Severity}
    for name, count in (counts or {}).items():
        key = name.value if isinstance(name, Severity) else str(name)
        severities[key] = severities.get(key, 0) + int(count)
    cause = None
    if error is not None:
        first = " ".join(str(error).split())
        cause = redact(first, environ)[:_MAX_ERROR]
    record = {
        "time": utc_timestamp(now),
        "actor": actor,
        "actorSource": actor_source,
        "command": command,
        "flags": sorted({f for f in flags if f.startswith("-")}),
        "intentSha256": intent_sha256,
        "clusters": list(clusters or []),
        "counts": severities,
        "exitCode": int(exit_code),
        "error": cause,
        "version": __version__,
        "host": socket.gethostname(),
    }
    if waves:
        record["waves"] = [dict(wave) for wave in waves]
    return record


def audit_log_path(option: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The audit log to write: `--audit-log FILE`, else FLEET_INTENT_AUDIT_LOG, else None."""
    if option:
        return option
    env = os.environ if environ is None else environ
    return env.get(AUDIT_LOG_ENV) or None


def append_audit(path: str, record: dict[str, Any]) -> None:
    """Append `record` as one JSON line; whole-line atomic across processes, flushed and fsynced."""
    line = (json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n").encode("ascii")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"audit log {path}: directory {parent} does not exist")
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o640)
    except IsADirectoryError:
        raise UsageError(f"audit log {path}: is a directory") from None
    except OSError as exc:
        raise UsageError(f"audit log {path}: cannot open for append: {exc.strerror}") from None
    try:
        _lock(fd)
        try:
            # O_APPEND positions each write at the end; the lock keeps a partial write's
            # remainder from interleaving with another process's line.
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if stat.S_ISREG(os.fstat(fd).st_mode):  # a pipe or /dev/null cannot be fsynced
                os.fsync(fd)
        finally:
            _unlock(fd)
    except OSError as exc:
        raise UsageError(f"audit log {path}: cannot write: {exc.strerror}") from None
    finally:
        os.close(fd)


AUDITED_COMMANDS = ("generate", "check", "adopt", "rollout")


def command_from_argv(argv: Sequence[str] | None) -> str | None:
    """The subcommand named in `argv` (the first argument that is not an option), or None."""
    for arg in argv or ():
        if not arg.startswith("-"):
            return arg
    return None


def audit_flag_value(argv: Sequence[str] | None) -> str | None:
    """The value of `--audit-log FILE` / `--audit-log=FILE` in `argv`, for runs that fail before parsing."""
    args = list(argv or ())
    for index, arg in enumerate(args):
        if arg == "--audit-log" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--audit-log="):
            return arg.split("=", 1)[1]
    return None


def audit_run(info: Any, exit_code: int, error: str | None = None, argv: Sequence[str] | None = None) -> str | None:
    """Append the record of a finished `generate`/`check`/`adopt`/`rollout` run, if a log is named; return the log path.

    `info` is the CLI's RunInfo (command, intent_sha256, clusters, counts, audit_log); where a
    run failed before the command filled it in, the command and `--audit-log` come from `argv`.
    """
    command = getattr(info, "command", None) or command_from_argv(argv)
    if command not in AUDITED_COMMANDS:
        return None
    path = audit_log_path(getattr(info, "audit_log", None) or audit_flag_value(argv))
    if path is None:
        return None
    record = audit_record(
        command,
        getattr(info, "intent_sha256", None),
        list(getattr(info, "clusters", None) or []),
        dict(getattr(info, "counts", None) or {}),
        exit_code,
        error,
        flags=flag_names(argv),
        waves=list(getattr(info, "waves", None) or []),
    )
    append_audit(path, record)
    return path


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: O_APPEND alone still appends whole small writes
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(fd, fcntl.LOCK_UN)
