"""Live collection: every cluster read through the official clients, concurrently and bounded.

`LiveSource` implements `StateSource` (intent/observe/sources.py). Each cluster gets a `Budget`
(intent/observe/calls.py): one deadline (`timeout` seconds from the moment its worker picks it
up) shared by every call and retry made for it. Clusters are read by the thread pool of
intent/observe/pool.py, or, for large fleets, by worker processes each running such a pool
(intent/observe/fanout.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterable, Iterator

from intent.observe.fanout import collect_in_processes
from intent.observe.pool import STOP_SIGNALS, CloudCredentials, prepare, run_pool
from intent.observe.sources import CollectError, Documents
from intent.plan import ClusterPlan
from intent.progress import progress_bar

# Worker processes pay an interpreter start and the SDK imports (about 2 s): only for fleets
# where the clients' CPU, not the network, is the limit.
PROCESS_MIN_CLUSTERS = 32
MAX_PROCESSES = 8


class LiveSource:
    """Reads clusters through the official clients (`concurrency` at a time, `timeout` s each)."""

    def __init__(
        self,
        concurrency: int = 16,
        timeout: float = 20.0,
        progress: bool = False,
        credentials: CloudCredentials | None = None,
        processes: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if processes is not None and processes < 1:
            raise ValueError("processes must be at least 1")
        self.concurrency = concurrency
        self.timeout = timeout
        self.progress = progress
        self.credentials = credentials
        self.processes = processes

    def worker_processes(self, clusters: int) -> int:
        """How many processes read `clusters` clusters (1: this process only).

        By default one per CPU (at most MAX_PROCESSES) once the fleet is large enough to repay a
        process's start-up; never more than `concurrency`, and never with injected credentials,
        which cannot cross a process boundary.
        """
        if self.credentials is not None:
            return 1
        if self.processes is not None:
            wanted = self.processes
        elif clusters < PROCESS_MIN_CLUSTERS:
            return 1
        else:
            wanted = min(os.cpu_count() or 1, MAX_PROCESSES)
        return max(1, min(wanted, self.concurrency, clusters))

    def collect(self, plans: Iterable[ClusterPlan]) -> Iterator[tuple[ClusterPlan, Documents | CollectError]]:
        """Yield each plan with its documents or its `CollectError`, in completion order."""
        plans = list(plans)
        if not plans:
            return
        processes = self.worker_processes(len(plans))
        if processes > 1:
            results = collect_in_processes(plans, processes, self.concurrency, self.timeout)
        else:
            credentials = self.credentials or CloudCredentials()
            prepare({plan.provider for plan in plans}, credentials)
            results = run_pool(plans, self.concurrency, self.timeout, credentials)
        with exit_on_sigterm(), progress_bar(self.progress, len(plans), "collecting") as advance:
            for plan, result in results:
                advance(plan.name)
                yield plan, result


@contextlib.contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """While a collection runs: SIGTERM or SIGHUP raises SystemExit(128 + signal) rather than
    ending the process on the spot, so that worker processes are stopped and exec credential
    plugins killed as on Ctrl-C (intent/observe/kubeexec.py; the plugins run in their own
    process groups, so a terminal's hangup never reaches them). Only on the main thread, and
    only over the default handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    taken = [signum for signum in STOP_SIGNALS if signal.getsignal(signum) == signal.SIG_DFL]
    for signum in taken:
        signal.signal(signum, _exit_terminated)
    try:
        yield
    finally:
        for signum in taken:
            signal.signal(signum, signal.SIG_DFL)


def _exit_terminated(signum, frame) -> None:
    raise SystemExit(128 + signum)
