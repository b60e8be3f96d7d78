"""Benchmark the findings history: time per recorded scan and database growth per scan.

    python -m benchmarks.bench_history [--clusters 1000 --teams 100 --namespaces 500 --drift 5]
                                       [--repeat 3] [--postgres URL | --no-postgres]

Not timed: the synthetic intent and the drifted snapshot (benchmarks/synthetic.py,
benchmarks/snapshot_synth.py, as bench_check_snapshot), and one real `check --snapshot
--format json` of it. Timed, in-process, each on a fresh database with its schema already
created: `record_scan` (intent/history/record.py, one transaction) of

  1. the drifted scan: every finding new (about 8,600 on the default fleet);
  2. a day later, every cluster read again and every other finding gone: half resolve;
  3. a day later, the same as 2: the steady state, only last_seen moves.

Database size after each scan: the SQLite file, PostgreSQL's pg_database_size. PostgreSQL is
the server given by --postgres, else one started in a temporary directory from the machine's
server binaries (tests/pg_server.py), else skipped. Finally the real CLI end to end,
`check --snapshot --history FILE` against the same `check` without --history (SQLite).

Run on demand; not part of the test suite (no timed assertions anywhere).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import NOW, NOW_ARG, cli, machine
from benchmarks.snapshot_synth import plan_synthetic, write_snapshot
from benchmarks.synthetic import synthetic_intent

REPO = Path(__file__).resolve().parent.parent


def _reports(report_json: dict):
    """The three scans' reports: drifted, half resolved, the same again (a day apart)."""
    from intent.check.report import Report

    first = Report.from_dict(report_json)
    day = dt.timedelta(days=1)
    half = Report.build(first.intent_path, first.intent_sha256, first.clusters, first.findings[::2],
                        generated_at=(NOW + day).isoformat())
    again = Report.build(first.intent_path, first.intent_sha256, first.clusters, first.findings[::2],
                         generated_at=(NOW + 2 * day).isoformat())
    first = Report.build(first.intent_path, first.intent_sha256, first.clusters, first.findings, generated_at=NOW.isoformat())
    return [("1. drifted (all new)", first), ("2. half resolved", half), ("3. unchanged", again)]


def _size(history, target: str) -> int:
    if history.dialect == "sqlite":
        return os.path.getsize(target)
    return int(history.query("SELECT pg_database_size(current_database())")[0][0])


def _fresh_postgres(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


def measure(make_target, scans, repeat: int) -> tuple[int, list[tuple[str, list[float], list[int], dict]]]:
    """(size of the empty schema, per scan: (label, seconds per repeat, size after it per
    repeat, what it changed))."""
    from intent.history.record import ScanInput, record_scan
    from intent.history.schema import open_history

    per_scan = {label: ([], [], {}) for label, _ in scans}
    empty = 0
    for _ in range(repeat):
        target = make_target()
        with open_history(target, create=True) as history:
            empty = _size(history, target)
            for label, report in scans:
                walls, sizes, info = per_scan[label]
                scan = ScanInput(report, tuple(c.name for c in report.clusters))
                start = time.perf_counter()
                result = record_scan(history, scan)
                walls.append(time.perf_counter() - start)
                sizes.append(_size(history, target))
                info.update(opened=result.opened, resolved=result.resolved, still_open=result.still_open,
                            findings=len(report.findings))
    return empty, [(label, *per_scan[label]) for label, _ in scans]


def _print_table(engine: str, empty: int, rows) -> None:
    print(f"\n{engine}: empty schema {empty / 1e6:.2f} MB")
    print("| scan | findings in report | opened / resolved / still open | record, min / median (s) | size after (MB) | growth (MB) |")
    print("|---|---|---|---|---|---|")
    previous = empty
    for label, walls, sizes, info in rows:
        size = sizes[-1]
        print(f"| {label} | {info['findings']:,} | {info['opened']:,} / {info['resolved']:,} / {info['still_open']:,} | "
              f"{min(walls):.2f} / {statistics.median(walls):.2f} | {size / 1e6:.2f} | +{(size - previous) / 1e6:.2f} |")
        previous = size


def _cli_wall(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"check failed ({done.returncode}): {done.stderr}")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark figures."""
    parser = argparse.ArgumentParser(description="Benchmark the fleet-intent findings history.")
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--teams-per-cluster", type=int, default=10)
    parser.add_argument("--drift", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3, help="fresh databases per engine")
    parser.add_argument("--postgres", metavar="URL", help="an existing server's admin URL (a database fi_bench is made)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="fleet-intent-bench-") as tmp:
        root = Path(tmp)
        intent = root / "fleet.yaml"
        intent.write_text(synthetic_intent(args.clusters, args.teams, args.namespaces, args.teams_per_cluster), encoding="utf-8")
        snapshot = root / "snapshot"
        stats = write_snapshot(plan_synthetic(str(intent)), snapshot, args.drift)
        print(f"wrote {stats.files} snapshot files (not timed)", file=sys.stderr)
        report_path = root / "report.json"
        check = cli() + ["check", str(intent), "--snapshot", str(snapshot), "--format", "json", "-o", str(report_path),
                         "--now", NOW_ARG]
        plain_wall = _cli_wall(check)
        scans = _reports(json.loads(report_path.read_text(encoding="utf-8")))

        counter = iter(range(1_000_000))
        sqlite = measure(lambda: str(root / f"history-{next(counter)}.db"), scans, args.repeat)

        postgres, server = None, None
        if not args.no_postgres:
            admin = args.postgres
            if admin is None:
                sys.path.insert(0, str(REPO / "tests"))
                from pg_server import Unavailable, start_server

                try:
                    server = start_server()
                    admin = server.admin_url
                except (Unavailable, RuntimeError) as exc:
                    print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
            if admin:
                try:
                    postgres = measure(lambda: _fresh_postgres(admin, f"fi_bench_{next(counter)}"), scans, args.repeat)
                finally:
                    if server is not None:
                        server.stop()
                        shutil.rmtree(server.base, ignore_errors=True)

        history_file = root / "cli-history.db"
        with_history = _cli_wall(check + ["--history", str(history_file)])

    print(f"fleet: {args.clusters} clusters, {args.teams} teams, {args.namespaces} namespaces, {args.drift:g}% drifted")
    print(f"machine: {machine()}")
    print(f"date: {dt.date.today().isoformat()}")
    _print_table("SQLite (stdlib sqlite3)", *sqlite)
    if postgres:
        _print_table("PostgreSQL (psycopg 3, local server)", *postgres)
    print(f"\ncheck --snapshot, whole CLI: {plain_wall:.2f} s without --history, {with_history:.2f} s with a new "
          "SQLite --history (schema created, every finding recorded)")


if __name__ == "__main__":
    sys.exit(main())
