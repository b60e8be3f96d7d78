"""Running the user's Terraform in each cluster root: `init`, then `apply`, one log per cluster.

The commands are the ones HashiCorp's guide "Running Terraform in Automation" gives for
unattended runs: `init -input=false` and `apply -input=false` (here with `-auto-approve`
instead of a saved plan), with `TF_IN_AUTOMATION` set, which makes Terraform leave out its
"next steps" hints (the variable's introduction, hashicorp/terraform commit a13a107b), and
`-no-color` because the output goes to a log file. `apply` exits 0 when it succeeded and 1 on
an error (https://developer.hashicorp.com/terraform/cli/commands/apply; confirmed with
Terraform v1.11.4, an undeclared variable: exit 1). Every other variable of the environment
is passed through unchanged: credentials, `TF_CLI_CONFIG_FILE`, provider mirrors and
endpoints are the user's.

Ctrl-C: Terraform stops gracefully on one SIGINT ("Interrupt received ... Gracefully
shutting down ... Error: execution halted", exit 1 with v1.11.4) and exits at once, "data
loss may have occurred", on a second (hashicorp/terraform#20709, gruntwork-io/terragrunt#2559).
The processes run in our process group, so a Ctrl-C at the terminal reaches each of them
exactly once; we never forward it (that would be the second), we only stop starting new ones
and wait.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from intent.errors import UsageError
from intent.quoting import quote

INIT_ARGS = ("init", "-input=false", "-no-color")
APPLY_ARGS = ("apply", "-auto-approve", "-input=false", "-no-color")
STEPS = (INIT_ARGS, APPLY_ARGS)


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """How one cluster's init + apply ended."""

    cluster: str
    ok: bool
    step: str | None  # the step that failed ("init" | "apply"), None when ok or never started
    exit_code: int | None
    started: str
    ended: str
    log: str
    interrupted: bool = False  # a stop was requested while its Terraform ran: never counted as applied
    started_any: bool = True  # False: the stop came before this cluster's first command


def resolve_terraform(name: str) -> str:
    """The absolute path of the Terraform binary `--terraform` names (a path, or a name on PATH)."""
    if os.sep in name or (os.altsep and os.altsep in name):
        if os.path.isfile(name) and os.access(name, os.X_OK):
            return os.path.abspath(name)
        raise UsageError(f"--terraform {quote(name)}: not an executable file")
    found = shutil.which(name)
    if not found:
        raise UsageError(f"--terraform {quote(name)}: not found on PATH; install Terraform or give --terraform PATH")
    return os.path.abspath(found)


def commands(terraform: str) -> list[list[str]]:
    """The command lines run in each cluster root, in order."""
    return [[terraform, *args] for args in STEPS]


def terraform_environment() -> dict[str, str]:
    """The environment Terraform runs with: ours, plus TF_IN_AUTOMATION."""
    return {**os.environ, "TF_IN_AUTOMATION": "1"}


def apply_cluster(terraform: str, cluster: str, root: str, log_path: str, stop: threading.Event, now: Callable[[], str]) -> ApplyResult:
    """Run init then apply in `root`, both writing to `log_path`; stop before each step once
    `stop` is set. A step that ran while `stop` was set counts as interrupted."""
    started = now()
    if stop.is_set():
        return ApplyResult(cluster, False, None, None, started, started, log_path, interrupted=True, started_any=False)
    env = terraform_environment()
    with open(log_path, "ab") as log:
        for argv in commands(terraform):
            step = argv[1]
            if stop.is_set():
                return ApplyResult(cluster, False, step, None, started, now(), log_path, interrupted=True)
            log.write(f"$ {' '.join(argv)}  (in {root})\n".encode())
            log.flush()
            try:
                proc = subprocess.Popen(argv, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            except OSError as exc:
                log.write(f"cannot run {argv[0]}: {exc.strerror or exc}\n".encode())
                return ApplyResult(cluster, False, step, None, started, now(), log_path)
            code = _wait(proc)
            log.write(f"[exit {code}]\n".encode())
            log.flush()
            if stop.is_set():
                # Interrupted mid-step: whatever Terraform managed is not an apply we vouch for.
                return ApplyResult(cluster, False, step, code, started, now(), log_path, interrupted=True)
            if code != 0:
                return ApplyResult(cluster, False, step, code, started, now(), log_path)
    return ApplyResult(cluster, True, None, 0, started, now(), log_path)


def _wait(proc: subprocess.Popen) -> int:
    """Wait for Terraform to exit, however long a graceful stop takes."""
    while True:
        try:
            return proc.wait()
        except InterruptedError:  # pragma: no cover - Python retries EINTR itself (PEP 475)
            continue


def apply_wave(
    terraform: str,
    roots: dict[str, str],
    log_dir: str,
    concurrency: int,
    stop: threading.Event,
    now: Callable[[], str],
    on_done: Callable[[ApplyResult], None],
    exclusive: dict[str, tuple[str, ...]] | None = None,
) -> list[ApplyResult]:
    """Apply every cluster of `roots` (cluster -> root dir), at most `concurrency` at once.

    `exclusive` maps a cluster to the resources (AKS managed identities federated by several
    roots: `plan.shared_federated_identities`) no two roots may write at the same time; a
    cluster holds a lock per resource, taken in sorted order, while its Terraform runs.
    `on_done` is called (in this thread, as each finishes, in finishing order) with each result,
    so it can be journaled before the next is awaited. Clusters the stop reached before they
    started are returned with `started_any` False and not passed to `on_done`.
    """
    exclusive = exclusive or {}
    locks = {name: threading.Lock() for names in exclusive.values() for name in names}

    def one(cluster: str, root: str) -> ApplyResult:
        held = [locks[name] for name in sorted(set(exclusive.get(cluster, ())))]
        for lock in held:
            lock.acquire()
        try:
            return apply_cluster(terraform, cluster, root, os.path.join(log_dir, f"{cluster}.log"), stop, now)
        finally:
            for lock in reversed(held):
                lock.release()

    results: list[ApplyResult] = []
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="terraform") as pool:
        futures = [pool.submit(one, cluster, root) for cluster, root in roots.items()]
        for result in _as_completed(futures):
            results.append(result)
            if result.started_any:
                on_done(result)
    return results


def _as_completed(futures: Iterable) -> Iterable[ApplyResult]:
    """Results as they finish; waits in short slices so the main thread keeps handling signals."""
    from concurrent.futures import FIRST_COMPLETED, wait

    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
        for future in done:
            yield future.result()
