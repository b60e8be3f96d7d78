"""The history schema as numbered migrations, applied in order, each in the writer's transaction.

Plain SQL that SQLite (3.24+) and PostgreSQL both take: TEXT times in one fixed-width UTC
form (text order is time order), TEXT scan ids made by the writer (no dialect-specific
auto-increment), `''` rather than NULL for "no cluster" / "no namespace" so the UNIQUE key of
a finding holds (NULLs never collide in a UNIQUE constraint), and a partial unique index so a
finding has at most one open episode. `schema_version` holds one row per applied migration.
A database whose newest version is above LATEST was written by a newer fleet-intent and is
refused rather than guessed at. docs/history.md explains the choice of plain migrations over
Alembic or yoyo.
"""

from __future__ import annotations

import datetime as dt

from intent.history.store import History
from intent.history.timefmt import stored

# (version, statements). Never edit a released migration: add the next one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, (
        """CREATE TABLE schema_version (
            version INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL
        )""",
        # One row per `check --history` run.
        """CREATE TABLE scans (
            id TEXT PRIMARY KEY,
            scanned_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            intent_path TEXT NOT NULL,
            intent_sha256 TEXT NOT NULL,
            shard TEXT,
            cluster_filter INTEGER NOT NULL,
            terraform INTEGER NOT NULL,
            findings INTEGER NOT NULL
        )""",
        "CREATE INDEX scans_by_time ON scans (scanned_at, recorded_at)",
        # The clusters a scan set out to read and whether it could.
        """CREATE TABLE scan_clusters (
            scan_id TEXT NOT NULL REFERENCES scans (id),
            cluster TEXT NOT NULL,
            provider TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'unreadable')),
            PRIMARY KEY (scan_id, cluster)
        )""",
        # Each cluster's latest attempt and latest successful read: the heartbeat.
        """CREATE TABLE clusters (
            name TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            last_attempt_at TEXT NOT NULL,
            last_status TEXT NOT NULL,
            last_read_at TEXT
        )""",
        # One row per fingerprint: its latest state.
        """CREATE TABLE findings (
            fingerprint TEXT PRIMARY KEY,
            rule TEXT NOT NULL,
            cluster TEXT NOT NULL,
            namespace TEXT NOT NULL,
            object TEXT NOT NULL,
            provider TEXT,
            severity TEXT NOT NULL,
            team TEXT,
            owner TEXT,
            message TEXT NOT NULL,
            exception_id TEXT,
            exception_expires TEXT,
            first_seen TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            resolved_at TEXT,
            reopen_count INTEGER NOT NULL,
            first_scan TEXT NOT NULL REFERENCES scans (id),
            last_scan TEXT NOT NULL REFERENCES scans (id),
            resolved_scan TEXT REFERENCES scans (id),
            UNIQUE (rule, cluster, object, namespace)
        )""",
        "CREATE INDEX findings_by_cluster ON findings (cluster, resolved_at)",
        # Each stretch a finding was open: opened by a scan, resolved by a later one (or still open).
        """CREATE TABLE episodes (
            fingerprint TEXT NOT NULL REFERENCES findings (fingerprint),
            opened_scan TEXT NOT NULL REFERENCES scans (id),
            opened_at TEXT NOT NULL,
            resolved_scan TEXT REFERENCES scans (id),
            resolved_at TEXT,
            PRIMARY KEY (fingerprint, opened_scan)
        )""",
        "CREATE UNIQUE INDEX episodes_one_open ON episodes (fingerprint) WHERE resolved_at IS NULL",
    )),
)
LATEST = MIGRATIONS[-1][0]


def current_version(history: History) -> int | None:
    """The newest applied migration; None for an empty database. HistoryError for a database
    that holds tables but no fleet-intent schema (someone else's data: never written into)."""
    tables = history.table_names()
    if "schema_version" not in tables:
        if tables:
            raise history.fail("holds tables but no fleet-intent schema_version: not a history database; "
                               "use an empty database")
        return None
    rows = history.query("SELECT MAX(version) FROM schema_version")
    return rows[0][0] if rows and rows[0][0] is not None else 0


def check_version(history: History, version: int | None) -> None:
    """Refuse a schema newer than this code knows."""
    if version is not None and version > LATEST:
        raise history.fail(f"schema version {version} is newer than this fleet-intent understands ({LATEST}); "
                           "upgrade fleet-intent")


def migrate(history: History) -> int:
    """Bring the database to LATEST; returns the number of migrations applied. Runs in the
    writer's transaction, so concurrent first runs (shards) create the schema once."""
    version = current_version(history)
    check_version(history, version)
    if version == LATEST:
        return 0
    with history.write():
        version = current_version(history) or 0  # again, under the lock: another writer may have won
        check_version(history, version)
        applied = 0
        for number, statements in MIGRATIONS:
            if number <= version:
                continue
            for statement in statements:
                history.execute(statement)
            history.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                            (number, stored(dt.datetime.now(dt.timezone.utc))))
            applied += 1
    return applied


def open_history(target: str, *, create: bool) -> History:
    """Connect to `target` and bring its schema up to date. `create`: a missing SQLite file or
    an empty database is initialised (check); otherwise it must already be a history (reports)."""
    from intent.history.store import connect

    history = connect(target, create=create)
    try:
        if not create and current_version(history) is None:
            raise history.fail("empty database, no history yet; record one with `check --history`")
        migrate(history)
    except BaseException:
        history.close()
        raise
    return history
