"""How a rollout checks each wave: live, from a snapshot directory (refreshed by the user's
command), or not at all; the check itself is the check engine's (`check_cluster`)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

from intent.check.findings import Finding
from intent.check.run import check_cluster
from intent.errors import UsageError
from intent.quoting import quote
from intent.rollout.waves import Wave

SNAPSHOT_DIR_ENV = "FLEET_INTENT_SNAPSHOT_DIR"
SNAPSHOT_CLUSTERS_ENV = "FLEET_INTENT_CLUSTERS"
SNAPSHOT_WAVE_ENV = "FLEET_INTENT_WAVE"


@dataclass(frozen=True, slots=True)
class Verification:
    """How a wave is verified: `live`, `snapshot` (of `directory`, refreshed by `command`) or `none`."""

    kind: str
    directory: str | None = None
    command: str | None = None

    def describe(self) -> str:
        if self.kind == "snapshot":
            return f"snapshot {self.directory}" + (" (refreshed by --snapshot-command)" if self.command else "")
        return {"live": "live", "none": "none"}[self.kind]


def parse_verify(text: str, snapshot_command: str | None) -> Verification:
    """`--verify live|none|snapshot=DIR` (+ `--snapshot-command`) as a Verification (UsageError)."""
    if text in ("live", "none"):
        if snapshot_command:
            raise UsageError(f"--snapshot-command needs --verify snapshot=DIR (not {text})")
        return Verification(text)
    kind, sep, directory = text.partition("=")
    if kind != "snapshot" or not sep or not directory:
        raise UsageError(f"--verify {quote(text)}: give live, none or snapshot=DIR")
    if not snapshot_command and not os.path.isdir(directory):
        raise UsageError(f"--verify snapshot={quote(directory)}: no such directory (or give --snapshot-command to write it)")
    return Verification("snapshot", directory, snapshot_command or None)


def verify_wave(plans: dict, wave: Wave, verification: Verification, concurrency: int, timeout: float,
                log_dir: str) -> tuple[dict[str, tuple[str, list[Finding]]], str | None]:
    """Check the wave's clusters: ({cluster: (status, findings)}, None) or ({}, why it could
    not be verified) when the snapshot command failed."""
    if verification.kind == "live":
        from intent.observe.collect import LiveSource

        source = LiveSource(concurrency=max(concurrency, 1), timeout=timeout)
    else:
        problem = _refresh_snapshot(verification, wave, log_dir) if verification.command else None
        if problem:
            return {}, problem
        from intent.observe.snapshot import SnapshotDirSource

        source = SnapshotDirSource(verification.directory)
    checked = {}
    for plan, documents in source.collect([plans[c] for c in wave.clusters]):
        checked[plan.name] = check_cluster(plan, documents)
    return checked, None


def _refresh_snapshot(verification: Verification, wave: Wave, log_dir: str) -> str | None:
    """Run the user's snapshot command (through the shell) for the wave; the problem, or None."""
    os.makedirs(verification.directory, exist_ok=True)
    log_path = os.path.join(log_dir, f"snapshot-{wave.name}.log")
    env = {
        **os.environ,
        SNAPSHOT_CLUSTERS_ENV: ",".join(wave.clusters),
        SNAPSHOT_DIR_ENV: os.path.abspath(verification.directory),
        SNAPSHOT_WAVE_ENV: wave.name,
    }
    with open(log_path, "ab") as log:
        try:
            code = subprocess.run(verification.command, shell=True, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT).returncode
        except OSError as exc:
            return f"--snapshot-command could not run: {exc.strerror or exc}"
    if code != 0:
        return f"--snapshot-command exited {code} (log: {log_path})"
    return None
