"""The rollout journal: append-only JSON lines, one record per event, outside the output dir.

Events: `start` and `done`/`halted` per run; `applied`/`failed` per cluster (with the intent
sha256 it was applied from, start and end times and its log); `verified` per cluster after its
wave's check. Every record is written with one `write`, flushed and fsynced, under an
exclusive `flock`, so records of two processes never interleave and a record that was
counted is on disk. A crash mid-write can leave a torn last line: the reader ignores it with a
warning, and the next append (under the lock, so no writer is mid-line) cuts it off before
writing, since it was never a record. Any other line that is not a record is an error naming
its line.

`read_journal` rebuilds, per cluster, the last outcome and the intent sha256 it runs; that is
what `--resume` skips by.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from intent.errors import UsageError
from intent.quoting import clip
from intent.safeio import InputFileError, read_regular_file

DEFAULT_JOURNAL = os.path.join(".fleet-intent", "rollout.jsonl")
EVENTS = ("start", "applied", "failed", "verified", "halted", "done")
CLUSTER_EVENTS = ("applied", "failed", "verified")
MAX_JOURNAL_BYTES = 256 << 20  # ~1M records: years of rollouts of a large fleet


def utc_now() -> str:
    """The current time as ISO 8601 UTC with a `Z` suffix, to the millisecond."""
    moment = dt.datetime.now(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_run_id() -> str:
    """A run id that sorts by time and is unique across machines: `20260101T120000Z-1a2b3c`."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


@dataclass(slots=True)
class ClusterState:
    """What the journal says about one cluster: its last apply outcome and its last check."""

    outcome: str  # "applied" | "failed"
    intent_sha256: str | None
    run: str | None
    log: str | None = None
    interrupted: bool = False
    verified: bool | None = None  # None: not checked since the last apply


@dataclass(slots=True)
class JournalState:
    """The journal read back: per cluster its state, the last run and how that run ended."""

    clusters: dict[str, ClusterState] = field(default_factory=dict)
    last_run: str | None = None
    last_run_end: str | None = None  # "done" | "halted" | None (still running, or crashed)
    last_run_sha256: str | None = None
    warnings: list[str] = field(default_factory=list)

    def applied_with(self, cluster: str, intent_sha256: str) -> bool:
        """Whether `cluster`'s last apply succeeded from the intent with this sha256."""
        state = self.clusters.get(cluster)
        return state is not None and state.outcome == "applied" and state.intent_sha256 == intent_sha256


def read_journal(path: str) -> JournalState | None:
    """The journal at `path`, None when there is none (UsageError when it is not a journal)."""
    if not os.path.lexists(path):
        return None
    try:
        data = read_regular_file(path, MAX_JOURNAL_BYTES, f"journal {path}")
    except InputFileError as exc:
        hint = "; move it aside and start a new one" if exc.too_large else ""
        raise UsageError(f"{exc}{hint}") from None
    state = JournalState()
    lines = data.split(b"\n")
    torn = lines.pop()  # after the last newline: empty, or a record a crash cut short
    if torn.strip():
        state.warnings.append(f"journal {path}: the last line is incomplete (a run stopped mid-write?); ignored")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        _apply(state, _record(path, number, line))
    return state


def _record(path: str, number: int, line: bytes) -> dict[str, Any]:
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        record = None
    if not isinstance(record, dict) or record.get("event") not in EVENTS:
        raise UsageError(f"journal {path}:{number}: not a rollout journal record; move the file aside or give another --journal")
    if record["event"] in CLUSTER_EVENTS and not isinstance(record.get("cluster"), str):
        raise UsageError(f"journal {path}:{number}: {record['event']} record without a cluster name")
    for key in ("intent_sha256", "run", "log"):
        if record.get(key) is not None and not isinstance(record[key], str):
            raise UsageError(f"journal {path}:{number}: {key} is not a string")
    return record


def _apply(state: JournalState, record: dict[str, Any]) -> None:
    event, run = record["event"], record.get("run")
    if event == "start":
        state.last_run, state.last_run_end, state.last_run_sha256 = run, None, record.get("intent_sha256")
    elif event in ("done", "halted"):
        if run == state.last_run:
            state.last_run_end = event
    elif event in ("applied", "failed"):
        state.clusters[record["cluster"]] = ClusterState(
            outcome=event,
            intent_sha256=record.get("intent_sha256"),
            run=run,
            log=record.get("log"),
            interrupted=record.get("interrupted") is True,
        )
    elif event == "verified":
        known = state.clusters.get(record["cluster"])
        if known is not None and known.intent_sha256 == record.get("intent_sha256"):
            known.verified = record.get("ok") is True


class Journal:
    """An open journal for one run: `append` writes one record, `run_lock` keeps a second
    rollout from using the same journal at the same time."""

    def __init__(self, path: str, run: str):
        self.path = path
        self.run = run
        self.warnings: list[str] = []

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Append one record (`event`, this run's id, `fields`) as a single durable line."""
        if event not in EVENTS:
            raise ValueError(f"unknown journal event {event!r}")
        record = {"event": event, "run": self.run, **fields}
        record.setdefault("time", utc_now())
        line = (json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n").encode("ascii")
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, 0o640)
        except OSError as exc:
            raise UsageError(f"journal {self.path}: cannot open for append: {exc.strerror}") from None
        try:
            _flock(fd)
            self._cut_torn_tail(fd)
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError as exc:
            raise UsageError(f"journal {self.path}: cannot write: {exc.strerror}") from None
        finally:
            os.close(fd)  # closing releases the lock
        return record

    def _cut_torn_tail(self, fd: int) -> None:
        """Drop bytes after the last newline: a record a crashed writer never finished (we
        hold the lock, so no live writer is mid-line)."""
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return
        back = min(size, 1 << 20)
        tail = os.pread(fd, back, size - back)
        cut = tail.rfind(b"\n")
        keep = size - back + cut + 1 if cut >= 0 else (0 if back == size else size)
        if keep != size:
            os.ftruncate(fd, keep)
            self.warnings.append(f"journal {self.path}: removed an incomplete last line left by an interrupted run")

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        """Hold `<journal>.lock` for the run; a second rollout on this journal is refused."""
        lock_path = self.path + ".lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o640)
        except OSError as exc:
            raise UsageError(f"journal lock {lock_path}: cannot open: {exc.strerror}") from None
        try:
            try:
                _flock(fd, blocking=False)
            except BlockingIOError:
                raise UsageError(
                    f"journal {self.path}: another rollout is using it (lock {lock_path} is held); wait for it to end"
                ) from None
            yield
        finally:
            os.close(fd)


def prepare_directory(path: str) -> None:
    """Create the journal's directory (`.fleet-intent/` by default) if it is missing."""
    parent = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"journal {path}: cannot create directory {clip(parent, 200)}: {exc.strerror}") from None


def _flock(fd: int, blocking: bool = True) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: O_APPEND alone still appends whole small writes
        return
    fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
