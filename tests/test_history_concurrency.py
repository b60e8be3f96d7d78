"""Several writers at once and writers killed mid-transaction, on SQLite and on a real
PostgreSQL server: sharded checks writing one database lose nothing and duplicate nothing,
and a crash leaves nothing half-recorded."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading

import pytest

from conftest import EXAMPLE, ROOT
from history_support import db, make_snapshot, rows  # noqa: F401 - db is a fixture

SHARDS = 4
TABLES = ("schema_version", "scans", "scan_clusters", "clusters", "findings", "episodes")
DRIFT = (("prod-use1", "payments"), ("prod-use1", "checkout"), ("legacy-usw2", "payments"),
         ("prod-weu", "payments"), ("dev-weu", "checkout"), ("stage-use1", "data-ingest"))


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("FLEET_INTENT_AUDIT_LOG", "FLEET_INTENT_HISTORY")}


def _check_argv(db: str, snapshot, now: str, *extra) -> list[str]:
    return [sys.executable, "-m", "intent", "check", str(EXAMPLE), "--snapshot", str(snapshot), "--history", db,
            "--now", now, "--format", "json", *map(str, extra)]


def _shards_at_once(db: str, snapshot, now: str, tmp_path) -> list[dict]:
    """Run the SHARDS shards of one check at the same time; their JSON reports."""
    procs = [subprocess.Popen(_check_argv(db, snapshot, now, "--shard", f"{k}/{SHARDS}", "-o", tmp_path / f"r{k}.json"),
                              cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(1, SHARDS + 1)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1), err
    return [json.loads((tmp_path / f"r{k}.json").read_text()) for k in range(1, SHARDS + 1)]


def _fingerprints(reports: list[dict]) -> set[str]:
    from intent.check.findings import Finding
    from intent.history.record import finding_fingerprint

    return {finding_fingerprint(Finding.from_dict(f)) for r in reports for f in r["findings"]}


def test_concurrent_shards_lose_nothing_and_duplicate_nothing(tmp_path, db):
    drift = make_snapshot(tmp_path, "drift", privileged=DRIFT)
    clean = make_snapshot(tmp_path, "clean")
    # The database is empty: the shards also race to create the schema.
    reports = _shards_at_once(db, drift, "2026-11-01", tmp_path)
    expected = _fingerprints(reports)
    assert len(expected) >= len(DRIFT)
    assert rows(db, "SELECT COUNT(*) FROM schema_version") == [(1,)]
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT shard) FROM scans") == [(SHARDS, SHARDS)]
    assert {r[0] for r in rows(db, "SELECT fingerprint FROM findings WHERE resolved_at IS NULL")} == expected
    assert rows(db, "SELECT COUNT(*) FROM findings") == [(len(expected),)]
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT fingerprint) FROM episodes") == [(len(expected), len(expected))]
    # Each cluster was read by exactly one shard, and each scan recorded the clusters its report names.
    scanned = rows(db, "SELECT cluster, COUNT(*) FROM scan_clusters GROUP BY cluster ORDER BY cluster")
    assert scanned == [(name, 1) for name in sorted(c["name"] for r in reports for c in r["clusters"])]
    assert len(scanned) == 6

    # Again, clean: every shard resolves its own clusters' findings and nothing else.
    _shards_at_once(db, clean, "2026-11-02", tmp_path)
    assert rows(db, "SELECT COUNT(*) FROM findings WHERE resolved_at IS NULL") == [(0,)]
    assert rows(db, "SELECT COUNT(*), MIN(resolved_at), MAX(resolved_at) FROM episodes") == [
        (len(expected), "2026-11-02T00:00:00.000000Z", "2026-11-02T00:00:00.000000Z")]
    assert rows(db, "SELECT COUNT(*) FROM scans") == [(2 * SHARDS,)]


def test_threads_recording_at_once_serialise(tmp_path, db):
    """Eight writers in one process, each its own connection, overlapping clusters: every
    scan lands whole and each finding has one row and one open episode."""
    from intent.check.findings import Finding, Severity
    from intent.check.report import ClusterStatus, Report
    from intent.history.record import ScanInput, record_scan
    from intent.history.schema import open_history

    def report(writer: int) -> Report:
        clusters = [ClusterStatus(f"c{n}", "eks", "ok") for n in range(writer, writer + 3)]  # overlaps the next writer
        findings = [Finding("FI-AUTH-003", Severity.HIGH, c.name, "eks", None, f"Grant/{c.name}/{i}", None, None,
                            f"grant {i}", None, "owner@x", "remove it") for c in clusters for i in range(50)]
        return Report.build("i.yaml", "0" * 64, clusters, findings, generated_at="2026-11-01T00:00:00+00:00")

    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            with open_history(db, create=True) as history:
                record_scan(history, ScanInput(report(writer), tuple(f"c{n}" for n in range(writer, writer + 3))))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert rows(db, "SELECT COUNT(*) FROM scans") == [(8,)]
    assert rows(db, "SELECT COUNT(*) FROM scan_clusters") == [(24,)]
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT cluster) FROM findings WHERE resolved_at IS NULL") == [(10 * 50, 10)]
    assert rows(db, "SELECT COUNT(*) FROM episodes WHERE resolved_at IS NULL") == [(500,)]
    assert rows(db, "SELECT COUNT(*) FROM clusters") == [(10,)]


CRASHER = """
import os, signal, sys
from intent.history import store

original = store.History.executemany
calls = [0]

def crash_after_some_writes(self, text, rows):
    original(self, text, rows)
    calls[0] += 1
    if calls[0] == int(os.environ["CRASH_AFTER_BATCHES"]):
        os.kill(os.getpid(), signal.SIGKILL)  # no rollback, no close: the process just dies

store.History.executemany = crash_after_some_writes
from intent.cli.main import main
main(sys.argv[1:])
"""


def _dump(db: str) -> dict[str, list[tuple]]:
    return {table: sorted(rows(db, f"SELECT * FROM {table}"), key=repr) for table in TABLES}


@pytest.mark.parametrize("crash_after", [1, 3, 5])
def test_a_writer_killed_mid_scan_leaves_nothing_half_recorded(tmp_path, db, crash_after):
    drift = make_snapshot(tmp_path, "drift", privileged=DRIFT[:3])
    worse = make_snapshot(tmp_path, "worse", privileged=DRIFT[1:])
    first = subprocess.run(_check_argv(db, drift, "2026-11-01"), cwd=ROOT, env=_env(), capture_output=True, text=True)
    assert first.returncode == 1, first.stderr
    before = _dump(db)

    script = tmp_path / "crash.py"
    script.write_text(CRASHER)
    argv = [sys.executable, str(script), *_check_argv(db, worse, "2026-11-02")[3:]]
    crashed = subprocess.run(argv, cwd=ROOT, env={**_env(), "CRASH_AFTER_BATCHES": str(crash_after)},
                             capture_output=True, text=True, timeout=300)
    assert crashed.returncode == -9, crashed.stderr  # really killed inside the recording
    assert _dump(db) == before

    # The lock died with the writer: the next run records normally.
    again = subprocess.run(_check_argv(db, worse, "2026-11-03"), cwd=ROOT, env=_env(), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 1, again.stderr
    assert rows(db, "SELECT COUNT(*) FROM scans") == [(2,)]
    assert rows(db, "SELECT MAX(scanned_at) FROM scans") == [(
        dt.datetime(2026, 11, 3).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),)]
