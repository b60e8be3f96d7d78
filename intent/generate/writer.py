"""Write generated files into the output directory safely, or tell how stale it is.

Contract: everything is rendered in memory before anything is written; every changed file is
staged next to its target before any is replaced, so a write that fails (disk full, read-only
directory) leaves the directory as it was; each file is then replaced atomically
(`os.replace`), the manifest last; an interrupt while staging removes every temporary file,
and temporary files a killed run left are reported (`check_output`) and removed
(`write_output`); only paths under the output directory are touched, never through a
symbolic link; a file is removed only when an earlier `MANIFEST.json` of ours lists it with
the SHA-256 it still has, and a manifest not in exactly the shape we write is refused.
`MANIFEST.json` lists every generated file with its SHA-256, the intent's SHA-256 and the
tool version, with sorted keys and no timestamps, so the same intent always gives the same
bytes. Single files named by `-o` go through `write_file`: a path that is not a regular file
is never replaced by one.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
import secrets
import signal
import stat
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from intent.quoting import clip
from intent import __version__
from intent.errors import OutputError

MANIFEST = "MANIFEST.json"
MANIFEST_VERSION = 1
TOOL = "fleet-intent"
SHARED_PREFIX = "modules/"
SIGNATURE = MANIFEST + ".sig"  # written by `generate --sign-key` (intent/evidence/signing.py)
MAX_MANIFEST_BYTES = 64 << 20  # ~25 times the manifest of a 10,000-cluster fleet
# The temporary name a file is staged under (`_write_temporary`).
_LEFTOVER = re.compile(r"\.fleet-intent-[0-9a-f]{16}\.tmp")
# What an output directory of ours may hold at its top level besides MANIFEST.json.
_LAYOUT_TOP = {"clusters", "modules", ".gitkeep", MANIFEST, SIGNATURE}


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What `write_output` did, by relative path."""

    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    kept: tuple[str, ...]  # directories of removed clusters still holding files not ours
    untracked: tuple[str, ...] = ()  # listed in the old manifest but changed since: left in place
    cleaned: tuple[str, ...] = ()  # temporary files of an interrupted run, removed


@dataclass(frozen=True, slots=True)
class Staleness:
    """How the output directory differs from what would be generated."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    diff: str
    leftovers: tuple[str, ...] = ()  # temporary files an interrupted run left behind

    @property
    def stale(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.leftovers)


@dataclass(frozen=True, slots=True)
class _Changes:
    desired: dict[str, str]  # in-scope files and the manifest (text; encoded one at a time)
    remove: tuple[str, ...]


def sha256_text(text: str | bytes) -> str:
    """Hex SHA-256 of text (UTF-8) or bytes."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def manifest_text(files: dict[str, str], intent_sha256: str) -> str:
    """MANIFEST.json for `files` (path -> sha256): sorted keys, no timestamps."""
    document = {
        "files": dict(sorted(files.items())),
        "intent": {"sha256": intent_sha256},
        "tool": {"name": TOOL, "version": __version__},
        "version": MANIFEST_VERSION,
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_manifest(out_dir: Path) -> dict | None:
    """The previous MANIFEST.json of ours in `out_dir`, None if there is none.

    Nothing in it is trusted until it has the exact shape `manifest_text` writes: an object
    with `files` (paths of the shape `generated_path_problem` allows -> lower-case SHA-256),
    `intent.sha256`, `tool` {name fleet-intent, version} and `version` 1, at most
    MAX_MANIFEST_BYTES, no duplicate keys. Anything else is an OutputError naming the
    first thing wrong.
    """
    path = out_dir / MANIFEST
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"{path}: cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise _not_ours(path, "not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise OutputError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise _not_ours(path, f"larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        document = json.loads(data.decode("utf-8"), object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        raise _not_ours(path, str(exc)) from None
    except json.JSONDecodeError as exc:
        raise _not_ours(path, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except UnicodeDecodeError:
        raise _not_ours(path, "not valid JSON: not UTF-8 text") from None
    except RecursionError:
        raise _not_ours(path, "nested too deeply") from None
    except ValueError:  # an integer of thousands of digits
        raise _not_ours(path, "not valid JSON: a number too long to read") from None
    problem = _manifest_problem(document)
    if problem:
        raise _not_ours(path, problem)
    return document


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    document: dict = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKey(f"duplicate key {_short(key)}")
        document[key] = value
    return document


def _not_ours(path: Path, problem: str) -> OutputError:
    return OutputError(
        f"{path} is not a manifest written by {TOOL} ({problem}); delete it to regenerate "
        "(the files it lists are then left in place) or use a new output directory"
    )


def _short(value: object) -> str:
    """repr() of a value from a hostile document, cut so an error line stays short."""
    return clip(repr(value), 80)


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def _manifest_problem(document: object) -> str | None:
    """What makes `document` differ from the shape `manifest_text` writes, or None."""
    if not isinstance(document, dict):
        return f"not a JSON object but {_json_type(document)}"
    # Who wrote it first, then which format version: they explain every other difference.
    if "tool" not in document:
        return "missing 'tool'"
    tool = document["tool"]
    if not (isinstance(tool, dict) and tool.keys() == {"name", "version"} and tool["name"] == TOOL and isinstance(tool["version"], str)):
        return f"'tool' is {_short(tool)}, not {{'name': {TOOL!r}, 'version': ...}}"
    version = document.get("version")
    if type(version) is int and version > MANIFEST_VERSION:
        return f"manifest version {version}, from a newer {TOOL}; upgrade {TOOL}"
    if type(version) is not int or version != MANIFEST_VERSION:
        return f"'version' is {_short(version)}, not {MANIFEST_VERSION}"
    keys = {"files", "intent", "tool", "version"}
    for key in sorted(keys - document.keys()):
        return f"missing {key!r}"
    for key in sorted(document.keys() - keys):
        return f"unexpected key {_short(key)}"
    intent = document["intent"]
    if not (isinstance(intent, dict) and intent.keys() == {"sha256"} and _is_sha256(intent["sha256"])):
        return f"'intent' is {_short(intent)}, not {{'sha256': <64 hex digits>}}"
    files = document["files"]
    if not isinstance(files, dict):
        return f"'files' is {_json_type(files)}, not an object of path -> sha256"
    for path, digest in files.items():
        problem = generated_path_problem(path)
        if problem:
            return f"lists {_short(path)}: {problem}"
        if not _is_sha256(digest):
            return f"{_short(path)} maps to {_short(digest)}, not a sha256 of 64 lower-case hex digits"
    return None


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


# Terraform's own files in a root module: the user's, never written or removed by us.
_TERRAFORM_OWN = re.compile(r"\.terraform|\.terraform\.lock\.hcl|.*\.tfstate(\..*)?|terraform\.tfstate\.d|.*\.tfvars(\.json)?")


def generated_path_problem(path: object) -> str | None:
    """Why `path` is not the shape of a file fleet-intent generates, or None.

    Generated files live under `clusters/<cluster>/` or `modules/<module>/`, as relative POSIX
    paths, never named like Terraform's own files (state, variables, `.terraform/`, the lock
    file) or like our temporary files.
    """
    if not isinstance(path, str):
        return "not a string"
    if not path.isprintable() or "\\" in path:
        return "not a relative POSIX path inside the output directory"
    if PurePosixPath(path).as_posix() != path:
        # `clusters/./x/f`, `clusters//x/f` and `clusters/x/f/` name a generated file under
        # another spelling, which would then be removed as "no longer generated".
        return "not written the one way fleet-intent writes paths (no '.', '//' or trailing '/')"
    try:
        parts = _safe_relative(path).parts
    except OutputError:
        return "a path outside the output directory"
    if parts[0] not in ("clusters", "modules") or len(parts) < 3:
        return "not under clusters/<cluster>/ or modules/<module>/"
    for part in parts:
        if _TERRAFORM_OWN.fullmatch(part):
            return f"{part!r} is Terraform's own file, which {TOOL} never writes"
        if _LEFTOVER.fullmatch(part):
            return f"{part!r} is a temporary name"
    return None


def in_scope(path: str, clusters: list[str] | None) -> bool:
    """Whether a generated path belongs to this run (`clusters` None: every path)."""
    if clusters is None:
        return True
    if path.startswith(SHARED_PREFIX):
        return True
    parts = path.split("/")
    return len(parts) > 2 and parts[0] == "clusters" and parts[1] in clusters


def _safe_relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or not rel.parts or any(p in ("", ".", "..") for p in rel.parts) or "\\" in path:
        raise OutputError(f"{path!r}: not a relative path inside the output directory")
    return rel


class OutputPaths:
    """Maps relative paths to files under the output directory, refusing symbolic links.

    Each directory on the way is checked once (lstat) and its real path compared with the
    output directory's, so a link planted anywhere below it can never redirect a write.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out = out_dir
        self.root = os.path.realpath(out_dir)
        self.checked: set[Path] = set()

    def __call__(self, path: str, *, link_ok: bool = False) -> Path:
        """The file `path` names; `link_ok` allows the file itself (not a folder on the way)
        to be a link, for files that are only looked at, never written through."""
        rel = _safe_relative(path)
        current = self.out
        for part in rel.parts[:-1]:
            current = current / part
            if current not in self.checked:
                self._check(current)
                self.checked.add(current)
        target = current / rel.parts[-1]
        if not link_ok and target.is_symlink():
            raise OutputError(f"{target}: is a symbolic link; refusing to write through it")
        return target

    def _check(self, node: Path) -> None:
        if node.is_symlink():
            raise OutputError(f"{node}: is a symbolic link; refusing to write through it")
        if node.exists() and os.path.commonpath([self.root, os.path.realpath(node)]) != self.root:
            raise OutputError(f"{node}: resolves outside {self.out}; refusing to write")


def _changes(files: dict[str, str], intent_sha256: str, clusters: list[str] | None, previous: dict | None) -> _Changes:
    for path in files:
        _safe_relative(path)
        if path == MANIFEST:
            raise OutputError(f"{MANIFEST}: reserved for the manifest")
        problem = generated_path_problem(path)
        if problem:  # a translator plugin's mistake: its own manifest would not read back
            raise OutputError(f"{path}: cannot be generated: {problem}")
    scoped = {p: t for p, t in files.items() if in_scope(p, clusters)}
    old = dict(previous["files"]) if previous else {}
    entries = {p: h for p, h in old.items() if not in_scope(p, clusters)}
    entries.update({p: sha256_text(t) for p, t in scoped.items()})
    desired = dict(scoped)
    desired[MANIFEST] = manifest_text(entries, intent_sha256)
    remove = tuple(sorted(p for p in old if in_scope(p, clusters) and p not in scoped))
    return _Changes(desired, remove)


def _check_not_dangling(out_dir: Path) -> None:
    """A dangling link as DIR or as a folder above it that would be created: creating it would
    fail with a misleading "File exists"."""
    for node in (out_dir, *out_dir.parents):
        if node.exists():
            return
        if node.is_symlink():
            raise OutputError(
                f"{node}: is a symbolic link to {os.readlink(node)}, which does not exist; "
                "create that directory or remove the link"
            )


def _check_directory(out_dir: Path, previous: dict | None) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a directory")
    if previous is not None or not out_dir.exists():
        return
    entries = {entry.name for entry in out_dir.iterdir()}
    modules = out_dir / "modules"
    foreign = {e for e in entries - _LAYOUT_TOP if not _LEFTOVER.fullmatch(e)}
    if modules.is_dir():
        foreign |= {f"modules/{e.name}" for e in modules.iterdir() if e.name != "namespaces" and not _LEFTOVER.fullmatch(e.name)}
    if foreign:
        raise OutputError(
            f"{out_dir}: not empty and has no {MANIFEST} from {TOOL} (found {', '.join(sorted(foreign)[:5])}); "
            "pass an empty or new directory with -o"
        )


# Files fleet-intent writes are kilobytes; a larger file in DIR is someone else's, and is only
# reported as differing, never read whole.
MAX_EXISTING_BYTES = 16 << 20


def read_existing(path: Path) -> bytes | None:
    """The bytes of the regular file at `path` (None if missing, a link or not a regular
    file; a stand-in text if over MAX_EXISTING_BYTES, which never equals generated text)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > MAX_EXISTING_BYTES:
            return f"({info.st_size} bytes: larger than any file {TOOL} writes; not read)\n".encode()
        try:
            return handle.read(MAX_EXISTING_BYTES + 1)
        except OSError:
            return None


def _stage(files: Iterable[tuple[Path, bytes]]) -> dict[Path, Path]:
    """Write each target's new bytes next to it under a fresh temporary name.

    Nothing in the output directory changes yet: on any failure (a read-only or full disk, a
    path that cannot be created) or interruption (Ctrl-C) every temporary file and every
    directory made for them is removed again, and the error names what could not be written.
    """
    staged: dict[Path, Path] = {}
    made: list[Path] = []

    def clean_up() -> None:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        for directory in reversed(made):
            try:
                directory.rmdir()
            except OSError:
                pass

    with _ctrl_c_between_files() as interrupted:
        try:
            for target, data in files:
                if interrupted():
                    raise KeyboardInterrupt
                missing = []
                directory = target.parent
                while not directory.exists():  # up to the first that exists, as `mkdir -p`
                    missing.append(directory)
                    directory = directory.parent
                for directory in reversed(missing):
                    directory.mkdir()
                    made.append(directory)
                try:
                    staged[target] = _write_temporary(target.parent, data)
                except OSError as exc:  # name the file being written, not its temporary name
                    raise OSError(exc.errno, exc.strerror, str(target)) from exc
            if interrupted():
                raise KeyboardInterrupt
        except BaseException as exc:  # KeyboardInterrupt too: thousands of files may be staged
            clean_up()
            if isinstance(exc, OSError):
                raise _output_error(exc) from exc
            raise
    if interrupted():  # Ctrl-C after the last look, before the handler was given back
        clean_up()
        raise KeyboardInterrupt
    return staged


@contextlib.contextmanager
def _ctrl_c_between_files():
    """While staging: Ctrl-C only sets a flag that the loop reads between files, so that it
    never lands between creating a temporary file or directory and recording it (Python raises
    KeyboardInterrupt right after whichever system call was running)."""
    pressed = [False]
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield lambda: False
        return

    def note(signum, frame) -> None:
        pressed[0] = True

    signal.signal(signal.SIGINT, note)
    try:
        yield lambda: pressed[0]
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _write_temporary(directory: Path, data: bytes, durable: bool = False) -> Path:
    tmp = directory / f".fleet-intent-{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def replace_file(path: str | os.PathLike, text: str, *, durable: bool = False) -> None:
    """Write `text` (UTF-8) to `path` through a temporary file beside it and `os.replace`:
    readers see the old file or the new one, never a partial one. `durable` also syncs it
    to disk first. Raises OSError naming `path`, the temporary file removed.

    Only a missing path or a regular file is replaced: anything else (a link, a FIFO, a
    device, a directory) is an OutputError and stays as it is."""
    target = Path(path)
    kind = _kind(target)
    if kind not in (None, "a regular file"):
        raise OutputError(f"{target}: is {kind}; refusing to replace it with a regular file")
    try:
        tmp = _write_temporary(target.parent, text.encode("utf-8"), durable)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    try:
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
        raise


# The names of a process's own open descriptors (as gawk and bash treat them).
# Descriptor numbers in ASCII, at most 9 digits (an int os.write can take).
_DESCRIPTOR_NAME = re.compile(r"/dev/(?:(stdout)|(stderr)|fd/([0-9]{1,9}))|/proc/self/fd/([0-9]{1,9})")


def descriptor_alias(path: str | os.PathLike) -> int | None:
    """The descriptor `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` or `/proc/self/fd/N` names, else None."""
    match = _DESCRIPTOR_NAME.fullmatch(os.fspath(path))
    if match is None:
        return None
    stdout, stderr, fd, proc_fd = match.groups()
    return 1 if stdout else 2 if stderr else int(fd or proc_fd)


def write_file(path: str | os.PathLike, text: str) -> None:
    """Write a single output file (a report) where `-o path` asks for it.

    - `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: written to that open
      descriptor, so a shell's `>`, `>>` or pipe behind it applies as to any output;
    - a missing path or a regular file: replaced atomically (`replace_file`);
    - a FIFO or character device (`/dev/null`, a terminal), also reached through a symbolic
      link: opened and written through, never created, replaced or truncated;
    - anything else (a link to a regular file, a directory or nothing; a directory, socket or
      block device): an OutputError; nothing is written and the path stays as it is.
    Write failures are OSError naming `path`.
    """
    data = text.encode("utf-8")
    descriptor = descriptor_alias(path)
    if descriptor is not None:
        for stream in (sys.stdout, sys.stderr):  # what was printed before comes first
            stream.flush()
        _write_all(descriptor, data, path)
        return
    target = Path(path)
    kind = _kind(target)
    if kind in (None, "a regular file"):
        replace_file(target, text)
    elif kind in ("a FIFO", "a character device"):
        _write_stream(target, data, follow=False)
    elif kind == "a symbolic link":
        final = _kind(target, follow=True)
        link = os.readlink(target)
        if final is None:
            raise OutputError(f"{target}: is a symbolic link to {link}, which does not exist; refusing to write through it (name a file instead)")
        if final not in ("a FIFO", "a character device"):
            raise OutputError(f"{target}: is a symbolic link to {link}; refusing to replace a link with the report (name the file itself)")
        _write_stream(target, data, follow=True)
    elif kind == "a directory":
        raise OutputError(f"{target}: is a directory; name a file")
    else:
        raise OutputError(f"{target}: is {kind}; name a regular file, a FIFO or a character device such as /dev/null")


def _kind(path: Path, follow: bool = False) -> str | None:
    """What `path` is ("a regular file", "a FIFO", ...), None when nothing is there."""
    try:
        mode = os.stat(path).st_mode if follow else os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    for test, kind in (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def _write_stream(path: Path, data: bytes, *, follow: bool) -> None:
    # No O_CREAT: a FIFO or device that vanished is an error, never a new regular file.
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)  # a FIFO blocks here until a reader opens it, as `> fifo` does
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
            raise OutputError(f"{path}: changed while being opened; not written")
        _write_all(fd, data, path)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes, path: str | os.PathLike) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, os.fspath(path)) from exc


def _output_error(exc: OSError) -> OutputError:
    where = exc.filename if exc.filename is not None else "output directory"
    return OutputError(f"{where}: cannot write: {exc.strerror or exc}")


def write_output(out_dir: str | Path, files: dict[str, str], intent_sha256: str, clusters: list[str] | None = None) -> WriteOutcome:
    """Write `files` (path -> text) and MANIFEST.json into `out_dir`; remove our stale files.

    With `clusters`, only those clusters' files and the shared module are written or removed;
    every other file, and its manifest entry, is left as it was.

    Every changed file is first staged next to its target; only when all are staged are they
    moved into place (`os.replace`, atomic per file), stale files removed, and the manifest
    replaced last. A failure while staging leaves the output directory as it was.
    """
    try:
        return _write_output(Path(out_dir), files, intent_sha256, clusters)
    except OSError as exc:
        raise _output_error(exc) from exc


def _write_output(out: Path, files: dict[str, str], intent_sha256: str, clusters: list[str] | None) -> WriteOutcome:
    _check_not_dangling(out)
    previous = read_manifest(out) if out.is_dir() else None
    _check_directory(out, previous)
    changes = _changes(files, intent_sha256, clusters, previous)
    resolve = OutputPaths(out)
    targets = {path: resolve(path) for path in changes.desired}
    owned, untracked = _still_ours(changes.remove, previous, resolve)
    targets.update(owned)
    pending: list[str] = []
    unchanged: list[str] = []
    for path, text in changes.desired.items():
        if read_existing(targets[path]) == text.encode("utf-8"):
            unchanged.append(path)
        elif targets[path].is_dir():
            raise OutputError(f"{targets[path]}: is a directory where a generated file belongs")
        else:
            pending.append(path)
    cleaned = _remove_leftovers(out)
    staged: dict[Path, Path] = {}
    try:
        # Encoded one file at a time: a fleet's output is 100 MB and more.
        staged = _stage((targets[path], changes.desired[path].encode("utf-8")) for path in pending)
        for path in pending:
            if path != MANIFEST:
                os.replace(staged[targets[path]], targets[path])
        removed: list[str] = []
        for path, target in owned.items():
            target.unlink()
            removed.append(path)
        _prune(out, [target.parent for target in owned.values()])
        kept = _left_behind(out, changes)
        # The manifest goes last: it only lists files that are already in place.
        if MANIFEST in pending:
            os.replace(staged[targets[MANIFEST]], targets[MANIFEST])
    finally:
        for tmp in staged.values():  # those moved into place are no longer there
            tmp.unlink(missing_ok=True)
    return WriteOutcome(tuple(sorted(pending)), tuple(removed), tuple(sorted(unchanged)), kept, untracked, cleaned)


def find_leftovers(out_dir: str | Path) -> tuple[str, ...]:
    """Temporary files (`.fleet-intent-<hex>.tmp`) a crashed or killed run left under `out_dir`.

    Terraform's `.terraform/` folders are not searched (nothing of ours is staged there) and
    no link is followed.
    """
    out = Path(out_dir)
    found: list[str] = []
    for root, dirs, names in os.walk(out):
        dirs[:] = sorted(d for d in dirs if d != ".terraform")
        found.extend(
            (Path(root) / name).relative_to(out).as_posix() for name in sorted(names) if _LEFTOVER.fullmatch(name)
        )
    return tuple(found)


def _remove_leftovers(out: Path) -> tuple[str, ...]:
    leftovers = find_leftovers(out) if out.is_dir() else ()
    for path in leftovers:
        (out / path).unlink(missing_ok=True)  # a link of that name is removed, never followed
    return leftovers


def _still_ours(paths: Iterable[str], previous: dict | None, resolve: OutputPaths) -> tuple[dict[str, Path], tuple[str, ...]]:
    """Split the files the old manifest lists for removal: those whose content is still what
    fleet-intent wrote (path -> file, to remove) and those changed since or no longer regular
    files (left in place, never removed: a forged or stale entry cannot delete a user's file)."""
    owned: dict[str, Path] = {}
    untracked: list[str] = []
    for path in paths:
        target = resolve(path, link_ok=True)
        if not os.path.lexists(target):
            continue
        if file_sha256(target) == previous["files"][path]:
            owned[path] = target
        else:
            untracked.append(path)
    return owned, tuple(untracked)


def file_sha256(path: str | os.PathLike) -> str | None:
    """SHA-256 of a regular file's bytes (never through a link), None for anything else."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None  # not even opened: a FIFO would block, a device may act on open
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _prune(out: Path, directories: list[Path]) -> None:
    """Remove the now-empty directories of removed files, up to (not including) `out`."""
    for directory in sorted(set(directories), key=lambda d: len(d.parts), reverse=True):
        current = directory
        while current != out and out in current.parents:
            try:
                current.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                # Not empty: files of ours still there, or the user's own (tfvars, .terraform/, state).
                break
            current = current.parent


def _left_behind(out: Path, changes: _Changes) -> tuple[str, ...]:
    """Folders of clusters no longer generated that still exist (they hold files not ours)."""
    live = {p.split("/")[1] for p in changes.desired if p.startswith("clusters/")}
    gone = {p.split("/")[1] for p in changes.remove if p.startswith("clusters/")} - live
    return tuple(sorted(f"clusters/{c}" for c in gone if (out / "clusters" / c).exists()))


def check_output(out_dir: str | Path, files: dict[str, str], intent_sha256: str, clusters: list[str] | None = None) -> Staleness:
    """Compare `out_dir` with what `write_output` would write; writes nothing.

    A missing output directory is stale (every file would be added).
    """
    out = Path(out_dir)
    _check_not_dangling(out)
    previous = read_manifest(out) if out.is_dir() else None
    changes = _changes(files, intent_sha256, clusters, previous)
    targets = OutputPaths(out)  # as generate would: a linked folder inside DIR is refused, not read
    added: list[str] = []
    changed: list[str] = []
    chunks: list[str] = []
    for path, text in sorted(changes.desired.items()):
        data = text.encode("utf-8")
        current = read_existing(targets(path)) if out.is_dir() else None
        if current == data:
            continue
        new = text.splitlines(keepends=True)
        if current is None:
            added.append(path)
            chunks.extend(_diff([], new, "/dev/null", f"b/{path}"))
        else:
            changed.append(path)
            chunks.extend(_diff(current.decode("utf-8", "replace").splitlines(keepends=True), new, f"a/{path}", f"b/{path}"))
    removed: list[str] = []
    for path in changes.remove:
        current = read_existing(targets(path, link_ok=True))
        if current is None or sha256_text(current) != previous["files"][path]:
            continue  # gone already, or not ours any more: write_output leaves it in place
        removed.append(path)
        chunks.extend(_diff(current.decode("utf-8", "replace").splitlines(keepends=True), [], f"a/{path}", "/dev/null"))
    leftovers = find_leftovers(out) if out.is_dir() else ()
    for path in leftovers:
        chunks.append(f"Only in {out_dir}: {path} (left by an interrupted run; generate removes it)\n")
    return Staleness(tuple(added), tuple(removed), tuple(changed), "".join(chunks), leftovers)


def _diff(old: list[str], new: list[str], a: str, b: str) -> list[str]:
    lines = list(difflib.unified_diff(old, new, fromfile=a, tofile=b))
    return [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines]
