"""A rollout: apply the generated cluster roots wave by wave, verify each wave with the check
engine, and halt before the next wave on a failed apply or a finding at or above `--fail-on`.

The pieces are callable on their own (`check_output_dir`, `cluster_roots`, `run_rollout`;
verify.py's `parse_verify` and `verify_wave`; summary.py's `dry_run_lines` and
`format_summary`); the CLI only wires them.

"A new finding" is kept simple: any finding at or above `--fail-on` on a cluster of the wave
as the check sees it after the apply (the check is stateless; there is no earlier baseline).
Clusters skipped on `--resume` are verified again with their wave.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from intent.check.findings import Finding, Severity
from intent.errors import OutputError, UsageError
from intent.generate.writer import read_manifest
from intent.plan import plan_fleet, plan_revision, shared_federated_identities
from intent.progress import progress_bar
from intent.rollout.journal import Journal, JournalState, new_run_id, prepare_directory, read_journal, utc_now
from intent.rollout.terraform import ApplyResult, apply_wave
from intent.rollout.verify import Verification, verify_wave
from intent.rollout.waves import Wave



@dataclass(slots=True)
class RolloutOptions:
    """Everything a rollout needs besides the intent and the waves."""

    out_dir: str
    terraform: str  # resolved absolute path
    verification: Verification
    journal_path: str
    resume: bool = False
    concurrency: int = 4
    fail_on: Severity = Severity.HIGH
    timeout: float = 20.0  # seconds per cluster, live verification
    now: dt.datetime | None = None
    progress: bool = False


@dataclass(slots=True)
class WaveOutcome:
    """What happened to one wave's clusters."""

    wave: Wave
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # applied earlier with this intent (--resume)
    failed: dict[str, ApplyResult] = field(default_factory=dict)
    verified: str | None = None  # "ok" | "blocked" | "not verified" | None (never reached)
    blocking: dict[str, list[Finding]] = field(default_factory=dict)  # cluster -> findings >= fail-on

    @property
    def pending(self) -> list[str]:
        done = set(self.applied) | set(self.skipped) | set(self.failed)
        return [c for c in self.wave.clusters if c not in done]

    def to_audit(self) -> dict:
        """The wave as the audit line records it: names and counts, no values of the user's flags."""
        return {
            "name": self.wave.name,
            "clusters": list(self.wave.clusters),
            "applied": len(self.applied),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "pending": len(self.pending),
            "verified": self.verified,
        }


@dataclass(slots=True)
class RolloutResult:
    """How the rollout ended: every wave's outcome, and why it halted, if it did."""

    run: str
    intent_sha256: str
    waves: list[WaveOutcome]
    journal_path: str
    log_dir: str
    halted: str | None = None  # the reason, one line
    halted_wave: str | None = None
    interrupted: bool = False
    fleet: dict[str | None, list[str]] = field(default_factory=dict)  # intent sha256 (None: never applied) -> clusters

    @property
    def exit_code(self) -> int:
        return 130 if self.interrupted else 1 if self.halted else 0


def check_output_dir(out_dir: str, loaded, intent_path: str) -> None:
    """Refuse an output directory not generated from this intent (UsageError): its MANIFEST.json
    must name the intent's sha256. The files are not re-rendered: the roots may be edited copies."""
    fix = f"run `fleet-intent generate {intent_path} -o {out_dir}` first"
    if not os.path.isdir(out_dir):
        raise UsageError(f"-o {out_dir}: no such directory; {fix}")
    try:
        manifest = read_manifest(Path(out_dir))
    except OutputError as exc:
        raise UsageError(f"-o {exc}") from None
    if manifest is None:
        raise UsageError(f"{os.path.join(out_dir, 'MANIFEST.json')}: not found; {fix}")
    generated_from = manifest["intent"]["sha256"]
    if generated_from != loaded.sha256:
        raise UsageError(
            f"{out_dir} was generated from another revision of {intent_path} "
            f"(intent sha256 {generated_from[:12]}, now {loaded.sha256[:12]}); {fix}"
        )


def cluster_roots(out_dir: str, clusters: list[str]) -> dict[str, str]:
    """cluster -> its root `DIR/clusters/<cluster>` (UsageError naming the first one missing)."""
    roots = {}
    for cluster in clusters:
        root = os.path.abspath(os.path.join(out_dir, "clusters", cluster))
        if not os.path.isdir(root):
            raise UsageError(f"{os.path.join(out_dir, 'clusters', cluster)}: no root for cluster {cluster}; run `fleet-intent generate` for it")
        roots[cluster] = root
    return roots


def log_directory(journal_path: str, run: str) -> str:
    """Where a run's per-cluster logs go: `logs/<run id>/` beside the journal."""
    return os.path.join(os.path.dirname(journal_path) or ".", "logs", run)


def check_journal_outside(journal_path: str, out_dir: str) -> None:
    """The journal (and the logs beside it) must not live inside the output directory."""
    journal_dir = os.path.realpath(os.path.dirname(os.path.abspath(journal_path)))
    out = os.path.realpath(out_dir)
    if journal_dir == out or journal_dir.startswith(out + os.sep):
        raise UsageError(f"--journal {journal_path}: inside the output directory {out_dir}; keep it outside (default .fleet-intent/rollout.jsonl)")


def resume_notes(state: JournalState | None, journal_path: str, sha256: str, resume: bool, clusters: list[str]) -> list[str]:
    """What the journal means for this run, as lines for the operator."""
    if state is None:
        return [f"note: no journal at {journal_path}: nothing to resume, every cluster is applied"] if resume else []
    notes = list(state.warnings)
    if not resume:
        if state.last_run and state.last_run_end != "done" and state.last_run_sha256 == sha256:
            notes.append(f"note: run {state.last_run} did not finish; --resume would continue it (this run applies every cluster)")
        return notes
    older = [c for c in clusters if c in state.clusters and state.clusters[c].outcome == "applied" and state.clusters[c].intent_sha256 != sha256]
    if older:
        notes.append(
            f"note: {len(older)} cluster(s) last applied from another intent revision ({', '.join(older[:5])}"
            f"{' ...' if len(older) > 5 else ''}); they are applied again from {sha256[:12]}"
        )
    return notes


@contextmanager
def stop_on_interrupt(stop: threading.Event) -> Iterator[None]:
    """While inside, SIGINT sets `stop` instead of raising: running Terraform processes (which
    got the same Ctrl-C from the terminal) are waited for and recorded. Outside the main
    thread signals cannot be caught, and nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def note(signum, frame) -> None:
        if not stop.is_set():
            os.write(2, b"interrupt: starting no more clusters; waiting for running terraform to stop\n")
        stop.set()

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_rollout(loaded, waves: list[Wave], options: RolloutOptions, echo: Callable[[str], None]) -> RolloutResult:
    """Apply and verify wave by wave, journaling every outcome; halt before the next wave on a
    failed apply, a blocking finding or Ctrl-C. `echo` receives one progress line at a time."""
    sha = loaded.sha256
    names = [c for wave in waves for c in wave.clusters]
    roots = cluster_roots(options.out_dir, names)
    prepare_directory(options.journal_path)
    state = read_journal(options.journal_path)
    run = new_run_id()
    journal = Journal(options.journal_path, run)
    log_dir = log_directory(options.journal_path, run)
    result = RolloutResult(run, sha, [WaveOutcome(w) for w in waves], options.journal_path, log_dir)
    now = options.now or dt.datetime.now(dt.timezone.utc)
    fleet = plan_fleet(loaded.intent, now, names)
    plans = {p.name: p for p in fleet.clusters}
    exclusive = exclusive_resources(fleet)
    stop = threading.Event()

    with journal.run_lock(), stop_on_interrupt(stop):
        os.makedirs(log_dir, exist_ok=True)
        for note in resume_notes(state, options.journal_path, sha, options.resume, names):
            echo(note)
        journal.append("start", intent_sha256=sha, intent=loaded.path, out=options.out_dir, started=utc_now(),
                       resume=options.resume, waves=[{"name": w.name, "clusters": list(w.clusters)} for w in waves])
        for warning in journal.warnings:
            echo(f"warning: {warning}")
        current = waves[0].name if waves else None
        for outcome in result.waves:
            if stop.is_set():
                break
            current = outcome.wave.name
            _run_wave(loaded, outcome, options, state, roots, plans, exclusive, journal, result, stop, echo)
            if result.halted or stop.is_set():
                break
        if stop.is_set():
            result.interrupted = True
            if not result.halted:
                result.halted = "interrupted (Ctrl-C)"
                result.halted_wave = current
                journal.append("halted", wave=result.halted_wave, reason=result.halted, intent_sha256=sha, interrupted=True)
        elif not result.halted:
            journal.append("done", intent_sha256=sha)
    result.fleet = fleet_revisions(read_journal(options.journal_path), names)
    return result


def _run_wave(loaded, outcome: WaveOutcome, options: RolloutOptions, state: JournalState | None, roots: dict[str, str],
              plans: dict, exclusive: dict[str, tuple[str, ...]], journal: Journal, result: RolloutResult, stop: threading.Event, echo: Callable[[str], None]) -> None:
    wave, sha = outcome.wave, loaded.sha256
    if options.resume and state is not None:
        outcome.skipped = [c for c in wave.clusters if state.applied_with(c, sha)]
    todo = {c: roots[c] for c in wave.clusters if c not in outcome.skipped}
    echo(f"wave {wave.name}: applying {len(todo)} cluster(s)" + (f", {len(outcome.skipped)} already applied from this intent" if outcome.skipped else ""))

    revisions = {c: plan_revision(plans[c]) for c in todo}
    with progress_bar(options.progress and bool(todo), len(todo), f"wave {wave.name}") as advance:
        def record(done: ApplyResult) -> None:
            # `revision` is the cluster's own plan revision, the one its namespaces carry and
            # `check` reports: the journal and the clusters name the same thing.
            fields = dict(cluster=done.cluster, wave=wave.name, intent_sha256=sha, revision=revisions[done.cluster],
                          started=done.started, ended=done.ended, log=done.log, exit_code=done.exit_code)
            if done.ok:
                journal.append("applied", **fields)
                outcome.applied.append(done.cluster)
            else:
                journal.append("failed", step=done.step, interrupted=done.interrupted, **fields)
                outcome.failed[done.cluster] = done
            advance(done.cluster)

        apply_wave(options.terraform, todo, result.log_dir, options.concurrency, stop, utc_now, record, exclusive)

    if outcome.failed and not stop.is_set():
        failed = sorted(outcome.failed)
        result.halted, result.halted_wave = f"terraform failed on {len(failed)} cluster(s) of wave {wave.name}: {', '.join(failed[:5])}", wave.name
        journal.append("halted", wave=wave.name, reason=result.halted, clusters=failed, intent_sha256=sha)
        return
    if stop.is_set():
        return
    if options.verification.kind == "none":
        outcome.verified = "not verified"
        echo(f"wave {wave.name}: not verified (--verify none)")
        return
    echo(f"wave {wave.name}: verifying {len(wave.clusters)} cluster(s) ({options.verification.describe()})")
    checked, problem = verify_wave(plans, wave, options.verification, options.concurrency, options.timeout, result.log_dir)
    if problem:
        outcome.verified = "blocked"
        result.halted, result.halted_wave = f"wave {wave.name} could not be verified: {problem}", wave.name
        journal.append("halted", wave=wave.name, reason=result.halted, intent_sha256=sha)
        return
    for cluster in wave.clusters:
        status, findings = checked[cluster]
        blocking = [f for f in findings if f.severity.at_least(options.fail_on)]
        if blocking:
            outcome.blocking[cluster] = blocking
        journal.append("verified", cluster=cluster, wave=wave.name, intent_sha256=sha, ok=not blocking, status=status,
                       blocking=len(blocking), rules=sorted({f.rule for f in blocking}))
    outcome.verified = "blocked" if outcome.blocking else "ok"
    if outcome.blocking:
        clusters = sorted(outcome.blocking)
        result.halted = (f"{sum(len(v) for v in outcome.blocking.values())} finding(s) at or above {options.fail_on.value} "
                         f"on wave {wave.name}: {', '.join(clusters[:5])}")
        result.halted_wave = wave.name
        journal.append("halted", wave=wave.name, reason=result.halted, clusters=clusters, intent_sha256=sha)


def shared_within(wave: Wave, exclusive: dict[str, tuple[str, ...]]) -> list[tuple[str, list[str]]]:
    """(resource, the wave's clusters writing it) for each resource that more than one of them writes."""
    by_resource: dict[str, list[str]] = {}
    for cluster in wave.clusters:
        for resource in exclusive.get(cluster, ()):
            by_resource.setdefault(resource, []).append(cluster)
    return [(resource, clusters) for resource, clusters in sorted(by_resource.items()) if len(clusters) > 1]


def exclusive_resources(fleet) -> dict[str, tuple[str, ...]]:
    """cluster -> the shared resources its root writes that no other root may write at the same
    time: AKS managed identities federated by several roots (Entra answers concurrent federated
    credential writes on one identity with 409; docs/generate.md)."""
    out: dict[str, list[str]] = {}
    for identity, clusters in shared_federated_identities(fleet):
        for cluster in clusters:
            out.setdefault(cluster, []).append(identity)
    return {cluster: tuple(names) for cluster, names in out.items()}


def fleet_revisions(state: JournalState | None, clusters: list[str]) -> dict[str | None, list[str]]:
    """intent sha256 -> the clusters whose last successful apply was from it (None: no apply
    on record, or the last one failed)."""
    split: dict[str | None, list[str]] = {}
    for cluster in clusters:
        known = state.clusters.get(cluster) if state else None
        key = known.intent_sha256 if known is not None and known.outcome == "applied" else None
        split.setdefault(key, []).append(cluster)
    return split


