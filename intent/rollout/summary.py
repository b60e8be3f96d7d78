"""What a rollout prints: the dry run, and the one-screen summary of where the fleet stands."""

from __future__ import annotations

import os

from intent.check.findings import Finding
from intent.quoting import clip
from intent.safeio import printable
from intent.rollout.journal import JournalState
from intent.rollout.run import RolloutResult, shared_within
from intent.rollout.terraform import commands
from intent.rollout.verify import Verification
from intent.rollout.waves import Wave

LOG_TAIL_LINES = 3
MAX_FAILING_SHOWN = 8


def dry_run_lines(waves: list[Wave], roots: dict[str, str], terraform: str, verification: Verification,
                  state: JournalState | None, resume: bool, sha256: str,
                  exclusive: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """What a rollout would do, wave by wave; runs and writes nothing."""
    lines = [f"dry run: {len(waves)} wave(s), {sum(len(w.clusters) for w in waves)} cluster(s), verify: {verification.describe()}"]
    steps = [" ".join(argv) for argv in commands(terraform)]
    for number, wave in enumerate(waves, start=1):
        lines.append(f"wave {number} {wave.name} ({wave.spec}): {', '.join(wave.clusters)}")
        for cluster in wave.clusters:
            if resume and state is not None and state.applied_with(cluster, sha256):
                lines.append(f"  {cluster}: skip (applied from {sha256[:12]} in run {state.clusters[cluster].run})")
                continue
            lines.append(f"  {cluster}: in {roots[cluster]}")
            lines += [f"    {step}" for step in steps]
        for resource, sharing in shared_within(wave, exclusive or {}):
            lines.append(f"  one at a time: {', '.join(sharing)} (each writes {resource})")
        if verification.kind == "none":
            lines.append("  then: no verification (--verify none)")
        else:
            lines.append(f"  then: check {', '.join(wave.clusters)} ({verification.describe()}); halt on a finding or a failed apply")
    return lines


def format_summary(result: RolloutResult, resume_hint: str | None = None) -> str:
    """One screen: per wave its counts, the failing clusters with their log's last lines, and
    which intent revision each part of the fleet now runs."""
    if result.halted:
        head = f"rollout {result.run} halted at wave {result.halted_wave}: {result.halted}"
    elif any(o.verified == "not verified" for o in result.waves):
        head = f"rollout {result.run} done: every wave applied, none verified (--verify none)"
    else:
        head = f"rollout {result.run} done: every wave applied and verified"
    rows = [("wave", "clusters", "applied", "skipped", "failed", "pending", "verified")]
    for o in result.waves:
        rows.append((o.wave.name, str(len(o.wave.clusters)), str(len(o.applied)), str(len(o.skipped)),
                     str(len(o.failed)), str(len(o.pending)), o.verified or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [clip(head, 400), ""]
    lines += ["  ".join(cell.ljust(w) if i == 0 or i == 6 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
              for row in rows]
    failing = _failing(result)
    if failing:
        lines += ["", "failing clusters:"]
        for cluster, detail, log in failing[:MAX_FAILING_SHOWN]:
            lines.append(f"  {cluster}: {detail}")
            if log:
                lines.append(f"    log: {log}")
                lines += [f"    | {clip(text, 160)}" for text in _tail(log, LOG_TAIL_LINES)]
        if len(failing) > MAX_FAILING_SHOWN:
            lines.append(f"  ... and {len(failing) - MAX_FAILING_SHOWN} more (see the journal)")
    lines.append("")
    lines.append("fleet: " + _fleet_line(result))
    lines.append(f"journal: {result.journal_path}   logs: {result.log_dir}")
    if result.halted and resume_hint:
        lines.append(f"resume: {resume_hint}")
    # Log tails and findings quote what Terraform and the clusters said: no control character
    # of theirs reaches the terminal.
    return "\n".join(printable(line) for line in lines) + "\n"


def _failing(result: RolloutResult) -> list[tuple[str, str, str | None]]:
    out = []
    for o in result.waves:
        for cluster, done in sorted(o.failed.items()):
            if done.interrupted:
                detail = f"interrupted during terraform {done.step or 'init'}"
            elif done.exit_code is None:
                detail = f"terraform {done.step} could not run"
            else:
                detail = f"terraform {done.step} exited {done.exit_code}"
            out.append((cluster, detail, done.log))
        for cluster, findings in sorted(o.blocking.items()):
            shown = "; ".join(_finding_line(f) for f in findings[:3])
            more = f" (+{len(findings) - 3} more)" if len(findings) > 3 else ""
            out.append((cluster, f"{len(findings)} finding(s): {shown}{more}", None))
    return out


def _finding_line(finding: Finding) -> str:
    text = f"{finding.rule} {finding.severity.value} {finding.object}"
    if finding.expected is not None or finding.actual is not None:
        text += f" (expected {clip(str(finding.expected), 40)}, actual {clip(str(finding.actual), 40)})"
    return text


def _fleet_line(result: RolloutResult) -> str:
    parts = []
    current = result.fleet.get(result.intent_sha256, [])
    parts.append(f"{len(current)} cluster(s) run this intent ({result.intent_sha256[:12]})")
    for sha, clusters in sorted(result.fleet.items(), key=lambda item: item[0] or ""):
        if sha is None or sha == result.intent_sha256:
            continue
        parts.append(f"{len(clusters)} run {sha[:12]} ({', '.join(clusters[:3])}{' ...' if len(clusters) > 3 else ''})")
    unknown = result.fleet.get(None, [])
    if unknown:
        parts.append(f"{len(unknown)} have no successful apply on record ({', '.join(unknown[:3])}{' ...' if len(unknown) > 3 else ''})")
    return "; ".join(parts)


def _tail(path: str, count: int) -> list[str]:
    """The last `count` non-empty lines of a log (reading at most its last 64 KiB)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 65536))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-count:]
