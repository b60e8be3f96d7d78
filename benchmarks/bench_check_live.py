"""Benchmark `check --live` against local HTTP fakes with added latency: concurrent vs sequential.

    python -m benchmarks.bench_check_live [--clusters 200 --latency 0.05 --concurrency 32 --timeout 60]
        [--hang-timeout 90] [--sweep 8,16,64] [--shards 2] [--profile FILE]

A synthetic fleet (benchmarks/synthetic.py, each GKE cluster in its own project) and a compliant
snapshot of it (benchmarks/snapshot_synth.py) are written to a temporary directory; the fakes of
tests/fakes (Kubernetes API, EKS, GKE/IAM/Resource Manager, ARM over TLS with a trustme CA) serve
that snapshot on 127.0.0.1 from a separate process (`serve` below), sleeping `--latency` seconds
before answering every request. The real CLI then runs as a subprocess, pointed at the fakes
through the documented overrides (docs/live.md):

1. `check --live --concurrency 32` over every cluster;
2. `check --live --concurrency 1`: the same readers one cluster after the other, which is what
   a `for context in ...` loop over the fleet amounts to;
3. `check --live --concurrency 32 --timeout <--hang-timeout>` again with the Kubernetes API of
   the first cluster never answering: the run should end about that timeout after the cluster
   was started (or when the others are done, if later), with FI-COLLECT-001 for it only.

Optional extra runs: `--sweep` (other widths) and `--shards N` (N `check --shard K/N` processes
at once, then `report merge`). `--profile FILE` records the concurrent run with py-spy (every
process, collapsed stacks); each run also reports the CPU time of the CLI and of the fakes.

Both healthy runs must give the same report (and no findings: the served snapshot is compliant).
Loopback only; the fake process exits when this one closes its stdin, or after --max-seconds.

Run on demand; not part of the test suite (no timed assertions anywhere).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import NOW_ARG, cli, machine

REPO = Path(__file__).resolve().parent.parent
KUBE_TOKEN = "fake-kube-token"  # tests/fakes/providers.py


# --- the fleet and the data the fakes serve -------------------------------------------------------

def live_intent(clusters: int, teams: int, namespaces: int, teams_per_cluster: int) -> str:
    """The synthetic intent with each GKE cluster in a project of its own (so that each project's
    IAM policy holds exactly its cluster's principals, as with one project per cluster)."""
    from benchmarks.synthetic import synthetic_fleet

    data = synthetic_fleet(clusters, teams, namespaces, teams_per_cluster)
    for cluster in data["clusters"]:
        if cluster["provider"] == "gke":
            cluster["project"] = f"acme-{cluster['name']}"
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=1 << 16)


def write_data(intent_path: Path, data_dir: Path):
    """A compliant snapshot of the fleet for the fakes to serve; the fleet plan."""
    from benchmarks.snapshot_synth import plan_synthetic, write_snapshot

    fleet_plan = plan_synthetic(str(intent_path))
    stats = write_snapshot(fleet_plan, data_dir, 0.0)
    # A Google service account has one IAM policy, whichever cluster's pool its members are in.
    members: dict[str, set[str]] = {}
    files = sorted(data_dir.glob("*/gcp/service-account-iam/*.json"))
    for path in files:
        for binding in json.loads(path.read_text(encoding="utf-8"))["bindings"]:
            members.setdefault(path.name, set()).update(binding["members"])
    for path in files:
        policy = {"bindings": [{"members": sorted(members[path.name]), "role": "roles/iam.workloadIdentityUser"}],
                  "etag": "BwYk3xQ9aQc=", "version": 1}
        path.write_text(json.dumps(policy, indent=4), encoding="utf-8")
    return fleet_plan, stats


def write_kubeconfig(path: Path, contexts: list[str], server_url: str) -> None:
    """One context, cluster and static-token user per cluster (the fake checks the token)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": f"c-{i}", "cluster": {"server": f"{server_url}/k/{name}"}} for i, name in enumerate(contexts)],
        "users": [{"name": f"u-{i}", "user": {"token": f"{KUBE_TOKEN}-{name}"}} for i, name in enumerate(contexts)],
        "contexts": [{"name": name, "context": {"cluster": f"c-{i}", "user": f"u-{i}"}} for i, name in enumerate(contexts)],
        "current-context": contexts[0],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


# --- the fake process ---------------------------------------------------------------------------

def serve(data_dir: str, work_dir: str, latency: float, max_seconds: float) -> None:
    """Run the four fakes over `data_dir` until stdin closes (or `max_seconds`), answering
    line commands on stdin: `count` (requests so far), `hang <cluster>`, `quit`."""
    import ssl

    import trustme

    sys.path.insert(0, str(REPO))
    from tests.fakes import providers, server as fake_server
    from tests.fakes.server import FakeServer

    # A hung request is released when the fakes stop (or at this process's end of life), not
    # after the tests' 60 s, so that a --timeout above 60 s still meets a cluster that never answers.
    fake_server.HANG_LIMIT = max_seconds

    # The fakes page at 2 items so that tests cross page boundaries; serve pages of up to 500
    # items here (what the Kubernetes reader asks for), as the real APIs do.
    providers.PAGE = 500

    class Cached(providers.Data):
        """The served directory read once: the fakes look documents up on every request."""

        def __init__(self, root: Path) -> None:
            super().__init__(root)
            self._clusters = super().clusters()
            self._files = {p.relative_to(root).as_posix() for p in root.rglob("*.json")}
            self._docs: dict[str, Any] = {}
            self._lock = threading.Lock()

        def clusters(self) -> list[str]:
            return self._clusters

        def has(self, cluster: str, path: str) -> bool:
            return f"{cluster}/{path}" in self._files

        def get(self, cluster: str, path: str) -> Any:
            key = f"{cluster}/{path}"
            with self._lock:
                if key not in self._docs:
                    self._docs[key] = super().get(cluster, path)
                return self._docs[key]

    def slow(route):
        def routed(request):
            time.sleep(latency)
            return route(request)
        return routed

    data = Cached(Path(data_dir))
    ca = trustme.CA()
    ca_file = Path(work_dir) / "fake-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    kube = FakeServer("kubernetes", slow(providers.kube_route(data)), providers.kube_status).start()
    eks = FakeServer("eks", slow(providers.eks_route(data)), providers.eks_error).start()
    google = FakeServer("google", slow(providers.google_route(data)), providers.google_error).start()
    holder: dict[str, FakeServer] = {}
    arm = FakeServer("arm", slow(providers.arm_route(data, lambda: holder["arm"].url)), providers.arm_error,
                     ssl_context=context)
    holder["arm"] = arm.start()
    servers = (kube, eks, google, arm)
    print(json.dumps({"kube": kube.url, "eks": eks.url, "google": google.url, "arm": arm.url, "ca": str(ca_file)}),
          flush=True)

    def commands() -> None:
        for line in sys.stdin:
            word, _, arg = line.strip().partition(" ")
            if word == "count":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                print(json.dumps({"requests": {s.name: len(s.requests) for s in servers},
                                  "cpu": usage.ru_utime + usage.ru_stime,
                                  "unexpected": [m for s in servers for m in s.unexpected][:20]}), flush=True)
            elif word == "hang":
                kube.hang(rf"^/k/{re.escape(arg)}/")
                print(json.dumps({"hanging": arg}), flush=True)
            elif word == "quit":
                return

    reader = threading.Thread(target=commands, daemon=True)
    reader.start()
    reader.join(max_seconds)
    for server in servers:
        server.stop()


class Fakes:
    """The fake process, started by the benchmark and stopped by it (by its own handle)."""

    def __init__(self, data_dir: Path, work_dir: Path, latency: float, max_seconds: float) -> None:
        argv = [sys.executable, "-m", "benchmarks.bench_check_live", "serve", str(data_dir), str(work_dir),
                "--latency", str(latency), "--max-seconds", str(max_seconds)]
        self.proc = subprocess.Popen(argv, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.urls = self.answer()

    def answer(self) -> dict[str, Any]:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the fake process did not start")
        return json.loads(line)

    def ask(self, command: str) -> dict[str, Any]:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.answer()

    def stop(self) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- the runs ---------------------------------------------------------------------------------

def cli_env(urls: dict[str, Any], work: Path) -> dict[str, str]:
    """The CLI's environment: every SDK pointed at the fakes, nothing from the host that could
    steer a client elsewhere (tests/fakes/fleet.py does the same)."""
    env = {k: v for k, v in os.environ.items() if not (
        k.startswith(("AWS_", "GOOGLE_", "FLEET_INTENT_", "AZURE_")) or k.lower().endswith("_proxy")
        or k in ("KUBECONFIG", "CI", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"))}
    env.update({
        "KUBECONFIG": str(work / "kubeconfig"),
        "AWS_ENDPOINT_URL_EKS": urls["eks"],
        "AWS_ACCESS_KEY_ID": "AKIDFLEETINTENTFAKE",
        "AWS_SECRET_ACCESS_KEY": "fake-secret",
        "AWS_CONFIG_FILE": str(work / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(work / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "FLEET_INTENT_GKE_ENDPOINT": urls["google"],
        "FLEET_INTENT_IAM_ENDPOINT": urls["google"],
        "GOOGLE_OAUTH_ACCESS_TOKEN": "fake-google-token",
        "FLEET_INTENT_ARM_ENDPOINT": urls["arm"],
        "FLEET_INTENT_ARM_ACCESS_TOKEN": "fake-arm-token",
        "REQUESTS_CA_BUNDLE": urls["ca"],
        "NO_PROXY": "127.0.0.1,localhost",
    })
    return env


def check_argv(intent: Path, report: Path, concurrency: int, timeout: float, shard: str | None = None) -> list[str]:
    argv = cli() + ["check", str(intent), "--live", "--concurrency", str(concurrency),
                    "--timeout", f"{timeout:g}", "--format", "json", "-o", str(report), "--now", NOW_ARG]
    return argv + (["--shard", shard] if shard else [])


def profiled(argv: list[str], profile: Path) -> list[str]:
    """`argv` run under py-spy (every process, 200 samples a second), stacks written to `profile`."""
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        raise SystemExit("--profile needs py-spy next to this interpreter: pip install py-spy")
    return [str(py_spy), "record", "--subprocesses", "--nonblocking", "--format", "raw", "--rate", "200",
            "--output", str(profile), "--"] + argv


def run_live(intent: Path, report: Path, env: dict[str, str], concurrency: int, timeout: float, limit: float,
             shards: int = 1, profile: Path | None = None) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds, parsed JSON report) of one `check --live` run; with `shards` > 1, that many
    `check --live --shard K/N` processes at once (each --concurrency concurrency/N), then
    `report merge`, all inside the wall time."""
    start = time.perf_counter()
    cpu_before = child_cpu()
    if shards == 1:
        argv = check_argv(intent, report, concurrency, timeout)
        procs = [subprocess.Popen(profiled(argv, profile) if profile else argv, env=env,
                                  cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)]
        parts = [report]
    else:
        parts = [report.with_name(f"{report.stem}-{k}.json") for k in range(1, shards + 1)]
        procs = [subprocess.Popen(check_argv(intent, part, max(1, concurrency // shards), timeout,
                                             f"{k}/{shards}"), env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
                 for k, part in enumerate(parts, 1)]
    for proc in procs:
        _, err = proc.communicate(timeout=limit)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"check --live failed ({proc.returncode}): {err[-2000:]}")
    if shards > 1:
        merge = cli() + ["report", "merge", *map(str, parts), "-o", str(report)]
        subprocess.run(merge, env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL, timeout=limit)
    wall = time.perf_counter() - start
    return wall, child_cpu() - cpu_before, json.loads(report.read_text(encoding="utf-8"))


def child_cpu() -> float:
    """CPU seconds (user + system) of the finished CLI processes and their worker processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def keyset(report: dict) -> list[tuple]:
    return sorted((f["rule"], f["cluster"], f["object"]) for f in report["findings"])


def summary(report: dict) -> str:
    rules = Counter(f["rule"] for f in report["findings"])
    bad = [c["name"] for c in report["clusters"] if c.get("status") != "ok"]
    text = ", ".join(f"{n} {rule}" for rule, n in sorted(rules.items())) or "no findings"
    return f"{len(report['clusters'])} clusters read, {text}" + (f"; unreadable: {', '.join(bad)}" if bad else "")


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark figures (or, with `serve`, run the fakes)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        parser = argparse.ArgumentParser(prog="bench_check_live serve")
        parser.add_argument("data_dir")
        parser.add_argument("work_dir")
        parser.add_argument("--latency", type=float, default=0.05)
        parser.add_argument("--max-seconds", type=float, default=3600)
        args = parser.parse_args(argv[1:])
        serve(args.data_dir, args.work_dir, args.latency, args.max_seconds)
        return


    parser = argparse.ArgumentParser(description="Benchmark fleet-intent check --live against local fakes.")
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--teams-per-cluster", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every fake answer")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=20.0, help="--timeout of every run (seconds per cluster)")
    parser.add_argument("--hang-timeout", type=float, help="--timeout of the run with a hanging cluster (default: --timeout)")
    parser.add_argument("--skip-sequential", action="store_true")
    parser.add_argument("--sweep", default="", metavar="N,N,...", help="also run the concurrent check at these widths")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="record the concurrent run with py-spy (collapsed stacks, all processes) into FILE")
    parser.add_argument("--shards", type=int, default=0, metavar="N",
                        help="also run N `check --shard K/N` processes at once (--concurrency C/N each) + report merge")
    parser.add_argument("--max-seconds", type=float, default=3600, help="the fake process stops after this long")
    args = parser.parse_args(argv)

    limit = args.max_seconds  # no CLI run may outlive the fakes
    runs: dict[str, tuple[str, float, dict, int]] = {}
    with tempfile.TemporaryDirectory(prefix="fleet-intent-bench-live-") as tmp:
        work = Path(tmp)
        intent = work / "fleet.yaml"
        intent.write_text(live_intent(args.clusters, args.teams, args.namespaces, args.teams_per_cluster), encoding="utf-8")
        fleet_plan, stats = write_data(intent, work / "data")
        names = [plan.name for plan in fleet_plan.clusters]
        print(f"served data: {stats.clusters} clusters, {stats.files} files, {stats.bytes / 1e6:.1f} MB", file=sys.stderr)
        fakes = Fakes(work / "data", work, args.latency, args.max_seconds)
        try:
            write_kubeconfig(work / "kubeconfig", [plan.cluster.context for plan in fleet_plan.clusters], fakes.urls["kube"])
            env = cli_env(fakes.urls, work)

            def measure(label: str, how: str, concurrency: int, shards: int = 1, timeout: float = args.timeout,
                        profile: Path | None = None) -> None:
                start = fakes.ask("count")
                wall, cpu, report = run_live(intent, work / f"{label}.json", env, concurrency, timeout, limit,
                                             shards, profile)
                counts = fakes.ask("count")
                calls = sum(counts["requests"].values()) - sum(start["requests"].values())
                fake_cpu = counts["cpu"] - start["cpu"]
                if counts["unexpected"]:
                    raise SystemExit("fakes saw unexpected requests:\n" + "\n".join(counts["unexpected"]))
                runs[label] = (how, wall, report, calls, cpu, fake_cpu)
                print(f"[{label}] {how}: {wall:.1f}s, CPU {cpu:.1f}s (fakes {fake_cpu:.1f}s), {calls} calls; "
                      f"{summary(report)}", file=sys.stderr)

            c = args.concurrency
            measure("concurrent", f"--concurrency {c}" + (" under py-spy" if args.profile else ""), c,
                    profile=args.profile)
            for width in [int(w) for w in args.sweep.split(",") if w]:
                measure(f"concurrent-{width}", f"--concurrency {width}", width)
            if args.shards > 1:
                measure("shards", f"{args.shards} x --shard K/{args.shards} --concurrency {c // args.shards} + report merge",
                        c, shards=args.shards)
            if not args.skip_sequential:
                measure("sequential", "--concurrency 1", 1)
            hung = names[0]
            fakes.ask(f"hang {hung}")
            hang_timeout = args.hang_timeout or args.timeout
            measure("hanging", f"--concurrency {c} --timeout {hang_timeout:g}, {hung} never answers", c,
                    timeout=hang_timeout)
        finally:
            fakes.stop()

    _, conc_wall, conc_report, conc_calls, _, _ = runs["concurrent"]
    providers = Counter(p.provider for p in fleet_plan.clusters)
    print(f"fleet: {args.clusters} clusters ({', '.join(f'{n} {p}' for p, n in sorted(providers.items()))}), "
          f"{args.teams} teams, {args.namespaces} namespaces, {args.teams_per_cluster} teams per cluster; "
          f"{conc_calls} API calls per run; {args.latency * 1000:g} ms added to every call; --timeout {args.timeout:g}")
    print(f"machine: {machine()}")
    print(f"date: {dt.date.today().isoformat()}")
    print()
    print("| run | how | wall (s) | CLI CPU (s) | fakes CPU (s) | API calls | result |")
    print("|---|---|---|---|---|---|---|")
    for label, (how, wall, report, calls, cpu, fake_cpu) in runs.items():
        print(f"| {label} | {how} | {wall:.1f} | {cpu:.1f} | {fake_cpu:.1f} | {calls:,} | {summary(report)} |")
    print()
    baseline = runs.get("sequential")
    if baseline:
        print(f"speed-up vs sequential ({baseline[1]:.1f}s):")
        for label, (how, wall, report, *_) in runs.items():
            if label not in ("sequential", "hanging"):
                same = keyset(report) == keyset(baseline[2])
                print(f"  {label} ({how}): {baseline[1] / wall:.1f}x; same findings as sequential: {same}")
    how, hang_wall, hang_report, *_ = runs["hanging"]
    hung_findings = [(f["cluster"], f["actual"]) for f in hang_report["findings"] if f["rule"] == "FI-COLLECT-001"]
    print(f"hanging cluster: --timeout {args.hang_timeout or args.timeout:g}s, run wall {hang_wall:.1f}s (healthy run {conc_wall:.1f}s); "
          f"FI-COLLECT-001: {hung_findings}")


if __name__ == "__main__":
    sys.exit(main())
