"""Benchmark `check --snapshot` on a synthetic fleet: wall time and peak memory of the real CLI.

    python -m benchmarks.bench_check_snapshot [--clusters 1000 --teams 100 --namespaces 500 --drift 5]

Writes the synthetic intent (benchmarks/synthetic.py) and a synthetic snapshot directory
(benchmarks/snapshot_synth.py) to a temporary directory (honours TMPDIR), once compliant and once
with `--drift` percent of namespaces and grant objects drifted; snapshot generation is not
timed. Then runs `fleet-intent check INTENT --snapshot DIR --format json -o FILE` as a
subprocess (`--repeat` times) and reports its wall time and peak RSS (getrusage
RUSAGE_CHILDREN ru_maxrss: the largest child, i.e. the CLI process itself), and checks the
findings: none on the compliant snapshot, about one per drifted object on the drifted one.

Run on demand; not part of the test suite (no timed assertions anywhere).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks.common import NOW_ARG, cli, machine
from benchmarks.snapshot_synth import plan_synthetic, write_snapshot
from benchmarks.synthetic import synthetic_intent


def run_check(intent: Path, snapshot: Path, report: Path) -> tuple[float, int, dict]:
    """(wall seconds, exit code, parsed report) of one `check --snapshot` run."""
    argv = cli() + ["check", str(intent), "--snapshot", str(snapshot), "--format", "json", "-o", str(report),
                    "--now", NOW_ARG]
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"check failed ({done.returncode}): {done.stderr}")
    return wall, done.returncode, json.loads(report.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark figures."""
    parser = argparse.ArgumentParser(description="Benchmark fleet-intent check --snapshot on a synthetic fleet.")
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--teams-per-cluster", type=int, default=10)
    parser.add_argument("--drift", type=float, default=5.0, help="percent of namespaces and grant objects drifted")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per snapshot")
    parser.add_argument("--skip-compliant", action="store_true", help="skip the compliant (0-findings) snapshot")
    parser.add_argument("--keep", metavar="DIR", help="write into DIR and keep it (default: a temporary directory)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="fleet-intent-bench-") as tmp:
        root = Path(args.keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        intent = root / "fleet.yaml"
        intent.write_text(synthetic_intent(args.clusters, args.teams, args.namespaces, args.teams_per_cluster), encoding="utf-8")
        fleet_plan = plan_synthetic(str(intent))
        variants = ([("compliant", 0.0)] if not args.skip_compliant else []) + [(f"{args.drift:g}% drifted", args.drift)]
        rows = []
        for label, drift in variants:
            snapshot = root / f"snapshot-{drift:g}"
            start = time.perf_counter()
            stats = write_snapshot(fleet_plan, snapshot, drift)
            made = time.perf_counter() - start
            print(f"[{label}] wrote {stats.files} files, {stats.bytes / 1e6:.1f} MB in {made:.1f}s (not timed); "
                  f"{stats.units} drift units, drifted {dict(stats.drifted)}", file=sys.stderr)
            walls = []
            for n in range(args.repeat):
                wall, code, report = run_check(intent, snapshot, root / f"report-{drift:g}.json")
                walls.append(wall)
                print(f"[{label}] run {n + 1}: {wall:.2f}s, exit {code}", file=sys.stderr)
            rules = Counter(f["rule"] for f in report["findings"])
            unreadable = sum(1 for c in report["clusters"] if c.get("status") != "ok")
            rows.append((label, stats, walls, len(report["findings"]), rules, unreadable))
        rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux; the largest child

    print(f"fleet: {args.clusters} clusters, {args.teams} teams, {args.namespaces} namespaces, "
          f"{args.teams_per_cluster} teams per cluster")
    print(f"machine: {machine()}")
    print(f"date: {dt.date.today().isoformat()}")
    print(f"command: {' '.join(Path(a).name if i == 0 else a for i, a in enumerate(cli()))} check fleet.yaml "
          f"--snapshot DIR --format json -o FILE --now {NOW_ARG}")
    print()
    print("| snapshot | files | MB | drifted objects (expected findings) | findings | wall, min / median of "
          f"{args.repeat} (s) |")
    print("|---|---|---|---|---|---|")
    for label, stats, walls, found, rules, unreadable in rows:
        print(f"| {label} | {stats.files:,} | {stats.bytes / 1e6:.0f} | {stats.expected_findings:,} | {found:,} | "
              f"{min(walls):.2f} / {statistics.median(walls):.2f} |")
    print()
    for label, stats, walls, found, rules, unreadable in rows:
        print(f"{label}: findings by rule {dict(sorted(rules.items()))}; unreadable clusters {unreadable}")
    print(f"peak RSS of the check process: {rss_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
