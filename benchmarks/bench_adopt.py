"""Benchmark `adopt --snapshot` on a synthetic fleet: wall time and peak memory of the real CLI.

    python -m benchmarks.bench_adopt [--clusters 1000 --teams 100 --namespaces 500]

Writes the synthetic intent (benchmarks/synthetic.py), generates its roots and a compliant
synthetic snapshot (benchmarks/snapshot_synth.py) into a temporary directory (honours TMPDIR);
none of that is timed. Then runs `fleet-intent adopt INTENT --snapshot DIR -o OUT --format json`
as a subprocess `--repeat` times: the first run writes every cluster's imports.tf, the later
ones find them unchanged. An adopt run renders the fleet once (to refuse stale roots), reads and
checks every cluster as `check` does, asks each translator what exists and writes the files, so
it costs about a `generate --check` plus a `check --snapshot`.

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
from pathlib import Path

from benchmarks.common import NOW_ARG, cli, machine
from benchmarks.snapshot_synth import plan_synthetic, write_snapshot
from benchmarks.synthetic import synthetic_intent


def run_adopt(intent: Path, snapshot: Path, out: Path) -> tuple[float, int, dict]:
    """(wall seconds, exit code, parsed JSON summary) of one `adopt --snapshot` run."""
    argv = cli() + ["adopt", str(intent), "--snapshot", str(snapshot), "-o", str(out), "--format", "json", "--now", NOW_ARG]
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"adopt failed ({done.returncode}): {done.stderr}")
    return wall, done.returncode, json.loads(done.stdout)


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark figures."""
    parser = argparse.ArgumentParser(description="Benchmark fleet-intent adopt --snapshot on a synthetic fleet.")
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--teams-per-cluster", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs")
    parser.add_argument("--keep", metavar="DIR", help="write into DIR and keep it (default: a temporary directory)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="fleet-intent-bench-") as tmp:
        root = Path(args.keep or tmp)
        root.mkdir(parents=True, exist_ok=True)
        intent = root / "fleet.yaml"
        intent.write_text(synthetic_intent(args.clusters, args.teams, args.namespaces, args.teams_per_cluster), encoding="utf-8")
        out = root / "out"
        done = subprocess.run(cli() + ["generate", str(intent), "-o", str(out), "--now", NOW_ARG], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"generate failed: {done.stderr}")
        snapshot = root / "snapshot"
        stats = write_snapshot(plan_synthetic(str(intent)), snapshot, 0.0)
        print(f"wrote {stats.files} snapshot files, {stats.bytes / 1e6:.1f} MB (not timed)", file=sys.stderr)
        walls, summary = [], {}
        for n in range(args.repeat):
            wall, code, summary = run_adopt(intent, snapshot, out)
            walls.append(wall)
            print(f"run {n + 1}: {wall:.2f}s, exit {code}", file=sys.stderr)
        rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux; the largest child
        imports = sum(len(a["import"]) for a in summary["adoption"])
        creates = sum(len(a["create"]) for a in summary["adoption"])
        files = len(list(out.glob("clusters/*/imports.tf")))

    print(f"fleet: {args.clusters} clusters, {args.teams} teams, {args.namespaces} namespaces, "
          f"{args.teams_per_cluster} teams per cluster")
    print(f"machine: {machine()}")
    print(f"date: {dt.date.today().isoformat()}")
    print(f"command: fleet-intent adopt fleet.yaml --snapshot DIR -o OUT --format json --now {NOW_ARG}")
    print()
    print(f"| clusters | imports.tf written | import blocks | creations | wall, min / median of {args.repeat} (s) |")
    print("|---|---|---|---|---|")
    print(f"| {args.clusters:,} | {files:,} | {imports:,} | {creates:,} | {min(walls):.2f} / {statistics.median(walls):.2f} |")
    print()
    print(f"peak RSS of the adopt process: {rss_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
