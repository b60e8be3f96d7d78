"""Evidence: the append-only audit log and the signed output manifest (SPEC §10).

Audit records hold who ran what against which intent and with what result, and never a
credential: only the command name and flag *names* are kept, never argument values or the
environment. Signatures are Ed25519 over the exact bytes of `MANIFEST.json`; verification
then checks every file against the manifest's sha256 list.
"""

from __future__ import annotations

import base64
import datetime as dt
import errno
import getpass
import hashlib
import json
import os
import re
import socket
import stat
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from intent import __version__
from intent.errors import UsageError
from intent.check.findings import Severity
from intent.safeio import InputFileError, read_regular_file
from intent.generate.writer import MANIFEST, MAX_MANIFEST_BYTES, SIGNATURE, replace_file

MAX_KEY_BYTES = 64 << 10  # PEM keys and base64 signatures are a few hundred bytes
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

# Environment variable names whose values must never reach a record, even inside an error text.
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|API_?KEY|ACCESS_KEY|SESSION|AUTH", re.I)
# Token shapes that may appear in an error message without coming from the environment.
_SECRET_SHAPES = (
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS access key ids
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"),  # GitHub tokens
    re.compile(r"\bya29\.[A-Za-z0-9._-]{10,}"),  # Google OAuth access tokens
    re.compile(r"(?i)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
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


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` with secret-looking environment values and token shapes replaced by `[redacted]`."""
    env = os.environ if environ is None else environ
    values = sorted(
        (v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= 6),
        key=len,
        reverse=True,
    )
    for value in values:
        text = text.replace(value, "[redacted]")
    for shape in _SECRET_SHAPES:
        text = shape.sub("[redacted]", text)
    return text


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
) -> dict[str, Any]:
    """One audit-log record for a run (SPEC §10); holds no argument values and no environment.

    `counts` maps severity names to finding counts; every severity is present in the record.
    `flags` are flag names only (see `flag_names`); `error` is redacted and cut to one line.
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
    return {
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
            os.fsync(fd)
        finally:
            _unlock(fd)
    except OSError as exc:
        raise UsageError(f"audit log {path}: cannot write: {exc.strerror}") from None
    finally:
        os.close(fd)


AUDITED_COMMANDS = ("generate", "check")


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
    """Append the record of a finished `generate`/`check` run, if a log is named; return the log path.

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


def _read_key_file(path: str, what: str) -> bytes:
    # A PEM key is a few hundred bytes; a FIFO or device here must not hang or fill memory.
    try:
        return read_regular_file(path, MAX_KEY_BYTES)
    except InputFileError as exc:
        raise UsageError(f"{what} {exc}") from None


def load_private_key(path: str):
    """The Ed25519 private key in the PEM file at `path`, or a UsageError saying why not."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read_key_file(path, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise UsageError(f"signing key {path}: is encrypted; use an unencrypted PKCS8 Ed25519 PEM key") from None
    except (ValueError, UnicodeError):
        raise UsageError(
            f"signing key {path}: not a PEM private key (make one with `openssl genpkey -algorithm ed25519 -out key.pem`)"
        ) from None
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm for odd key types
        raise UsageError(f"signing key {path}: cannot load: {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"signing key {path}: is {_key_kind(key)} key; fleet-intent signs with Ed25519 only")
    return key


def load_public_key(path: str):
    """The Ed25519 public key in the PEM file at `path`, or a UsageError saying why not."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read_key_file(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnicodeError):
        hint = " (this is a private key; pass the public one)" if b"PRIVATE KEY" in data else ""
        raise UsageError(f"public key {path}: not a PEM public key{hint}") from None
    except Exception as exc:
        raise UsageError(f"public key {path}: cannot load: {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"public key {path}: is {_key_kind(key)} key; fleet-intent signatures are Ed25519")
    return key


def _key_kind(key: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, rsa, x448, x25519

    kinds = (
        ((rsa.RSAPrivateKey, rsa.RSAPublicKey), "an RSA"),
        ((ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey), "an EC"),
        ((dsa.DSAPrivateKey, dsa.DSAPublicKey), "a DSA"),
        ((ed448.Ed448PrivateKey, ed448.Ed448PublicKey), "an Ed448"),
        ((x25519.X25519PrivateKey, x25519.X25519PublicKey), "an X25519"),
        ((x448.X448PrivateKey, x448.X448PublicKey), "an X448"),
    )
    for classes, kind in kinds:
        if isinstance(key, classes):
            return kind
    return f"a {type(key).__name__}"


def sign_output(out_dir: str, private_key_path: str) -> str:
    """Sign `out_dir/MANIFEST.json` with Ed25519; write and return the path of `MANIFEST.json.sig`.

    The signature covers the manifest's exact bytes; the `.sig` file is base64 text and a newline.
    """
    key = load_private_key(private_key_path)
    manifest_path = os.path.join(out_dir, MANIFEST)
    if not os.path.lexists(manifest_path):
        raise UsageError(f"{manifest_path}: no such file; generate the output before signing it")
    try:
        manifest = read_regular_file(manifest_path, MAX_MANIFEST_BYTES)
    except InputFileError as exc:
        raise UsageError(str(exc)) from None
    text = base64.b64encode(key.sign(manifest)).decode("ascii") + "\n"
    sig_path = os.path.join(out_dir, SIGNATURE)
    try:
        replace_file(sig_path, text, durable=True)
    except OSError as exc:
        raise UsageError(f"{sig_path}: cannot write: {exc.strerror}") from None
    return sig_path


def manifest_files(manifest: Any) -> dict[str, str]:
    """The {relative path: sha256} map of a parsed MANIFEST.json; ValueError if it has none.

    Accepts `"files": {path: sha256}` (or `{path: {"sha256": ...}}`) and `"files": [{"path", "sha256"}]`.
    """
    files = manifest.get("files") if isinstance(manifest, dict) else None
    out: dict[str, str] = {}
    if isinstance(files, dict):
        for path, value in files.items():
            digest = value.get("sha256") if isinstance(value, dict) else value
            if not isinstance(digest, str):
                raise ValueError(f"entry {path!r} has no sha256")
            out[str(path)] = digest.lower()
    elif isinstance(files, list):
        for item in files:
            if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not isinstance(item.get("sha256"), str):
                raise ValueError("a 'files' entry lacks 'path' or 'sha256'")
            out[item["path"]] = item["sha256"].lower()
    else:
        raise ValueError("no 'files' map of path to sha256")
    return out


def _safe_relpath(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    return bool(path) and not path.startswith(("/", "\\")) and ".." not in parts and ":" not in parts[0]


def _sha256(path: str) -> str:
    # O_NOFOLLOW | O_NONBLOCK and the type of the open descriptor: a file swapped for a link or
    # a FIFO after the directory walk is never followed or waited on.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files_on_disk(out_dir: str) -> dict[str, str]:
    """{relative path with '/': absolute path} of every file and symlink under `out_dir`."""
    found: dict[str, str] = {}
    for root, dirs, files in os.walk(out_dir):
        dirs.sort()
        for name in list(dirs):
            full = os.path.join(root, name)
            if os.path.islink(full):  # os.walk does not descend symlinked dirs; report them as entries
                found[os.path.relpath(full, out_dir).replace(os.sep, "/")] = full
        for name in files:
            full = os.path.join(root, name)
            found[os.path.relpath(full, out_dir).replace(os.sep, "/")] = full
    found.pop(MANIFEST, None)
    found.pop(SIGNATURE, None)
    return found


def verify_output(out_dir: str, public_key_path: str) -> list[str]:
    """Problems with a signed output directory, one line each naming the file; [] means verified.

    Checks the Ed25519 signature over MANIFEST.json, then every file against its sha256, and
    reports files added (on disk, not in the manifest), removed, or changed.
    """
    if not os.path.isdir(out_dir):
        raise UsageError(f"{out_dir}: no such directory")
    key = load_public_key(public_key_path)
    manifest_path = os.path.join(out_dir, MANIFEST)
    sig_path = os.path.join(out_dir, SIGNATURE)
    if not os.path.lexists(manifest_path):
        return [f"{MANIFEST}: missing; nothing to verify against"]
    try:
        manifest_bytes = read_regular_file(manifest_path, MAX_MANIFEST_BYTES, MANIFEST)
    except InputFileError as exc:
        return [str(exc)]

    problems: list[str] = []
    problems.extend(_check_signature(key, manifest_bytes, sig_path))
    try:
        expected = manifest_files(json.loads(manifest_bytes.decode("utf-8")))
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(f"{MANIFEST}: unreadable file list: {exc}")
        return problems
    except RecursionError:  # a hostile manifest: thousands of nested arrays
        problems.append(f"{MANIFEST}: unreadable file list: nested too deeply")
        return problems

    on_disk = _files_on_disk(out_dir)
    for rel in sorted(set(expected) | set(on_disk)):
        if rel not in expected:
            problems.append(f"{rel}: added (not in {MANIFEST})")
            continue
        if not _safe_relpath(rel):
            problems.append(f"{MANIFEST}: lists unsafe path {rel!r} (outside the output directory)")
            continue
        full = on_disk.get(rel)
        if full is None:
            problems.append(f"{rel}: removed (listed in {MANIFEST}, missing on disk)")
        elif os.path.islink(full) or not os.path.isfile(full):
            problems.append(f"{rel}: changed (is a symlink or not a regular file)")
        else:
            try:
                actual = _sha256(full)
            except OSError:
                problems.append(f"{rel}: changed (is a symlink or not a regular file)")
                continue
            if actual != expected[rel]:
                problems.append(f"{rel}: changed (sha256 {actual}, {MANIFEST} says {expected[rel]})")
    return problems


def _check_signature(key, manifest_bytes: bytes, sig_path: str) -> list[str]:
    from cryptography.exceptions import InvalidSignature

    if not os.path.lexists(sig_path):
        return [f"{SIGNATURE}: missing; the output is not signed (generate --sign-key KEY)"]
    try:
        text = read_regular_file(sig_path, MAX_KEY_BYTES, SIGNATURE)
    except InputFileError as exc:
        return [str(exc)]
    try:
        signature = base64.b64decode(b"".join(text.split()), validate=True)
    except ValueError:
        return [f"{SIGNATURE}: signature does not match (not base64 text)"]
    try:
        key.verify(signature, manifest_bytes)
    except InvalidSignature:
        return [f"{SIGNATURE}: signature does not match {MANIFEST} for this public key"]
    return []
