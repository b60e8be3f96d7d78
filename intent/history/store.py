"""Opening the history database named by `--history DB` and speaking its dialect.

`DB` is a file path (SQLite through the standard library's sqlite3) or a `postgresql://`
URL (PostgreSQL through psycopg 3). Both take the same SQL (written with `?` placeholders,
turned into `%s` for psycopg) and the same schema (schema.py). Every database error leaves
here as a `HistoryError`: one line naming the database (never its password), exit 2.

Writers are serialised: SQLite by `BEGIN IMMEDIATE`, which takes the write lock up front so
a read-then-write transaction waits (busy timeout) instead of failing on lock upgrade
(sqlite.org/lang_transaction.html; the "SQLITE_BUSY despite a timeout" pitfall); PostgreSQL
by a transaction-level advisory lock, `pg_advisory_xact_lock`, released by the server when
the transaction ends, commit, rollback or a dropped connection alike
(postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from intent.errors import FleetIntentError
from intent.quoting import clip
from intent.redaction import redact

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
WRITER_LOCK_KEY = 0x666C_6565_7469  # pg_advisory_xact_lock key of every fleet-intent history writer
CONNECT_TIMEOUT = 10  # seconds to reach a PostgreSQL server
BUSY_TIMEOUT = 120.0  # seconds a SQLite writer waits for another one to commit


class HistoryError(FleetIntentError):
    """The history database cannot be opened, read or written (one line, exit 2)."""


def _printable(text: str) -> str:
    # A newline or escape sequence in a path must not split or colour the one error line.
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def describe(target: str) -> str:
    """`target` fit to print on one line: a URL without its password or query, a path as
    given, control characters escaped."""
    if not target.startswith(POSTGRES_SCHEMES):
        return clip(_printable(target), 200)
    try:
        parts = urlsplit(target)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "postgresql://(unparsable URL)"
    user = f"{parts.username}@" if parts.username else ""
    return clip(_printable(f"{parts.scheme}://{user}{host}{port}{parts.path}"), 200)


class History:
    """An open history database (SQLite or PostgreSQL) with the few operations the history needs."""

    def __init__(self, connection: Any, dialect: str, label: str, secret: str | None = None) -> None:
        self._connection = connection
        self.dialect = dialect  # "sqlite" | "postgresql"
        self.label = label  # what error lines call the database
        self._secret = secret  # the URL password, kept out of every message
        self._in_transaction = False

    # -- errors ---------------------------------------------------------------------------

    def fail(self, what: str) -> HistoryError:
        """A HistoryError about this database: `--history LABEL: what`."""
        text = " ".join(str(what).split())
        if self._secret:
            text = text.replace(self._secret, "[redacted]")
        return HistoryError(f"--history {self.label}: {clip(redact(text), 300)}")

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except HistoryError:
            raise
        except sqlite3.Error as exc:
            raise self.fail(f"SQLite: {exc}") from None
        except Exception as exc:  # psycopg errors, imported only for PostgreSQL databases
            if type(exc).__module__.startswith("psycopg"):
                raise self.fail(f"PostgreSQL: {exc}") from None
            raise

    # -- statements -----------------------------------------------------------------------

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.dialect == "postgresql" else text

    def execute(self, text: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""
        with self._translated():
            self._connection.execute(self._sql(text), tuple(params))

    def query(self, text: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Rows of one SELECT, as tuples."""
        with self._translated():
            cursor = self._connection.execute(self._sql(text), tuple(params))
            return [tuple(row) for row in cursor.fetchall()]

    def executemany(self, text: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row (psycopg sends them pipelined, SQLite in one loop)."""
        batch = [tuple(r) for r in rows]
        if not batch:
            return
        with self._translated():
            if self.dialect == "postgresql":
                with self._connection.cursor() as cursor:
                    cursor.executemany(self._sql(text), batch)
            else:
                self._connection.executemany(text, batch)

    def table_names(self) -> set[str]:
        """Tables of the database (SQLite) or of its current schema (PostgreSQL)."""
        if self.dialect == "sqlite":
            rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        else:
            rows = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {r[0] for r in rows}

    # -- transactions ---------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator["History"]:
        """One transaction holding the writer lock: all of it is committed, or none of it."""
        with self._translated():
            if self.dialect == "sqlite":
                self._connection.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    self._connection.execute("ROLLBACK")
                    raise
                self._connection.execute("COMMIT")
            else:
                with self._connection.transaction():
                    self._connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK_KEY,))
                    yield self

    @contextlib.contextmanager
    def read(self) -> Iterator["History"]:
        """One read-only snapshot, so a report never mixes two scans' states."""
        with self._translated():
            if self.dialect == "sqlite":
                self._connection.execute("BEGIN")
                try:
                    yield self
                finally:
                    self._connection.execute("ROLLBACK")
            else:
                with self._connection.transaction():
                    self._connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    yield self

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._connection.close()

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def connect(target: str, *, create: bool) -> History:
    """Connect to `target` (a path or a postgresql:// URL). `create`: a missing SQLite file is
    made (mode 0600: findings name principals and gaps); otherwise it is an error."""
    if not target or not target.strip():
        raise HistoryError("--history: empty; give a file path (SQLite) or a postgresql:// URL")
    if target.startswith(POSTGRES_SCHEMES):
        return _connect_postgres(target)
    if "://" in target:
        scheme = target.split("://", 1)[0]
        raise HistoryError(f"--history {describe(target)}: unsupported URL scheme {clip(scheme, 20)!r}; "
                           "give a file path (SQLite) or a postgresql:// URL")
    return _connect_sqlite(target, create)


def _connect_sqlite(path: str, create: bool) -> History:
    label = describe(path)
    if path == ":memory:" or path.startswith("file:"):
        raise HistoryError(f"--history {label}: give a file path; an in-memory or URI database would keep nothing")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise HistoryError(f"--history {label}: cannot read ({exc.strerror or exc})") from None
    if info is None:
        if not create:
            raise HistoryError(f"--history {label}: no such history database; record one with `check --history {label}`")
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise HistoryError(f"--history {label}: directory {clip(_printable(parent), 200)} does not exist; create it first")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass  # another shard made it first
        except OSError as exc:
            raise HistoryError(f"--history {label}: cannot create ({exc.strerror or exc})") from None
    elif stat.S_ISDIR(info.st_mode):
        raise HistoryError(f"--history {label}: is a directory; give a database file path such as {label.rstrip('/')}/history.db")
    elif not stat.S_ISREG(info.st_mode):
        raise HistoryError(f"--history {label}: not a regular file; give a database file path")
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise HistoryError(f"--history {label}: SQLite: {exc}") from None
    history = History(connection, "sqlite", label)
    history.execute("PRAGMA foreign_keys = ON")
    history.table_names()  # "file is not a database" surfaces here, as one line
    return history


def _connect_postgres(url: str) -> History:
    label = describe(url)
    try:
        secret = urlsplit(url).password
    except ValueError:
        secret = None
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency; a broken install still gets one line
        raise HistoryError(f"--history {label}: PostgreSQL needs the psycopg package (pip install 'psycopg[binary]')") from None
    history = History(None, "postgresql", label, secret)
    with history._translated():
        connection = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                                     application_name="fleet-intent")
    history._connection = connection
    return history
