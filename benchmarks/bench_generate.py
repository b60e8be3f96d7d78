"""Benchmark `generate` on a synthetic fleet: wall time per stage and peak memory.

    python -m benchmarks.bench_generate [--clusters 1000 --teams 100 --namespaces 500]

Run on demand; not part of the test suite (no timed assertions anywhere).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from benchmarks.common import NOW, machine
from benchmarks.synthetic import synthetic_intent


def run_generate(intent_path: str, out_dir: str) -> dict[str, float]:
    """Load, plan, render and write once; seconds per stage."""
    from intent.load import load_intent
    from intent.plan import plan_fleet
    from intent.generate.render import make_environment, render_fleet
    from intent.generate.writer import write_output

    times: dict[str, float] = {}
    start = time.perf_counter()
    loaded = load_intent(intent_path, NOW)
    times["load+validate"] = time.perf_counter() - start
    mark = time.perf_counter()
    fleet = plan_fleet(loaded.intent, NOW)
    times["plan"] = time.perf_counter() - mark
    mark = time.perf_counter()
    files = render_fleet(fleet, make_environment())
    times["render"] = time.perf_counter() - mark
    mark = time.perf_counter()
    outcome = write_output(out_dir, files, loaded.sha256)
    times["write"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - start
    times["files"] = len(outcome.written) + len(outcome.unchanged)
    times["bytes"] = sum(len(t.encode()) for t in files.values())
    return times


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark figures as a Markdown fragment."""
    parser = argparse.ArgumentParser(description="Benchmark fleet-intent generate on a synthetic fleet.")
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--teams-per-cluster", type=int, default=10)
    parser.add_argument("--tracemalloc", action="store_true", help="also measure Python heap peak (slower run)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="fleet-intent-bench-") as tmp:
        intent_path = Path(tmp) / "fleet.yaml"
        intent_path.write_text(synthetic_intent(args.clusters, args.teams, args.namespaces, args.teams_per_cluster), encoding="utf-8")
        cold = run_generate(str(intent_path), str(Path(tmp) / "out"))
        warm = run_generate(str(intent_path), str(Path(tmp) / "out"))  # every file unchanged
        heap = None
        if args.tracemalloc:
            tracemalloc.start()
            run_generate(str(intent_path), str(Path(tmp) / "out-traced"))
            heap = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    print(f"fleet: {args.clusters} clusters, {args.teams} teams, {args.namespaces} namespaces, "
          f"{args.teams_per_cluster} teams per cluster; {int(cold['files'])} files, {cold['bytes'] / 1e6:.1f} MB")
    print(f"machine: {machine()}")
    print(f"date: {dt.date.today().isoformat()}")
    print()
    print("| stage | first run (s) | re-run, nothing changed (s) |")
    print("|---|---|---|")
    for stage in ("load+validate", "plan", "render", "write", "total"):
        print(f"| {stage} | {cold[stage]:.2f} | {warm[stage]:.2f} |")
    print()
    print(f"peak RSS: {rss_kib / 1024:.0f} MiB" + (f"; Python heap peak (tracemalloc): {heap / 2**20:.0f} MiB" if heap else ""))


if __name__ == "__main__":
    sys.exit(main())
