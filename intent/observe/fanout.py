"""Spreading a live collection over worker processes.

The SDK clients spend about 1.5 ms of CPU per call (request signing, pipelines,
deserialisation), and threads share one interpreter lock: with many clusters one core becomes
the limit, and time spent waiting for the lock is charged to each cluster's deadline. Each
worker process runs the same bounded thread pool over its share of the clusters and sends back
documents or the one-line cause of a failure.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
from collections.abc import Iterator

from intent.observe.pool import STOP_SIGNALS, CloudCredentials, longest_first, prepare, run_pool
from intent.observe.sources import CollectError, Documents
from intent.plan import ClusterPlan

# How often the parent looks for a worker process that died without answering.
POLL_SECONDS = 0.5
# How long a terminated worker gets to kill its exec credential plugins and exit.
STOP_SECONDS = 5.0


def collect_in_processes(
    plans: list[ClusterPlan], processes: int, concurrency: int, timeout: float
) -> Iterator[tuple[ClusterPlan, Documents | CollectError]]:
    """Yield each plan with its documents or its CollectError, read by `processes` workers."""
    context = multiprocessing.get_context("spawn")  # no fork: SDKs and threads don't survive it
    results = context.Queue()
    shares = balanced_shares(plans, processes)
    workers = []
    for n, indexes in enumerate(shares):
        if not indexes:
            continue
        width = max(1, concurrency // processes + (1 if n < concurrency % processes else 0))
        process = context.Process(
            target=_worker,
            args=([plans[i] for i in indexes], indexes, width, timeout, results),
            name=f"fleet-intent-collect-{n}",
            daemon=True,
        )
        process.start()
        workers.append((process, set(indexes)))
    pending = set(range(len(plans)))
    try:
        while pending:
            try:
                index, documents, cause = results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                for process, indexes in workers:
                    if process.is_alive():
                        continue
                    for index in sorted(indexes & pending):
                        pending.discard(index)
                        yield plans[index], CollectError(
                            f"collector process exited ({process.exitcode}) before reading this cluster"
                        )
                continue
            if index not in pending:
                continue
            pending.discard(index)
            yield plans[index], (CollectError(cause) if cause is not None else documents)
    finally:
        for process, _ in workers:
            process.join(timeout=1.0)
            if process.is_alive():
                process.terminate()  # the worker kills its exec plugins on SIGTERM (see _worker)
                process.join(timeout=STOP_SECONDS)
        results.close()


def balanced_shares(plans: list[ClusterPlan], processes: int) -> list[list[int]]:
    """The plans' indexes split into `processes` shares of about equal expected calls (each
    read, longest first, goes to the share with the least so far)."""
    shares: list[list[int]] = [[] for _ in range(processes)]
    loads = [0] * processes
    for index, calls in longest_first(plans):
        lightest = loads.index(min(loads))
        shares[lightest].append(index)
        loads[lightest] += calls
    return shares


def _worker(plans: list[ClusterPlan], indexes: list[int], width: int, timeout: float, results) -> None:
    """Read `plans` with a thread pool and put (index, documents, cause) for each on `results`.

    A worker process exits with os._exit, without atexit handlers: the exec credential plugins
    its threads started are killed here, when it ends, is interrupted or is terminated.
    """
    from intent.observe.kubeexec import kill_running
    from intent.logs import configure_logging

    configure_logging()  # as in the CLI: a fresh interpreter, nothing configured
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)
    try:
        by_name = {plan.name: index for plan, index in zip(plans, indexes)}
        credentials = CloudCredentials()
        prepare({plan.provider for plan in plans}, credentials)
        for plan, result in run_pool(plans, width, timeout, credentials):
            if isinstance(result, CollectError):
                results.put((by_name[plan.name], None, str(result)))
            else:
                results.put((by_name[plan.name], result, None))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the parent reports it
        pass
    finally:
        kill_running()


def _stop(signum, frame) -> None:
    """SIGTERM from the parent, or a terminal's SIGHUP: unwind `_worker` (and so kill its plugins) instead of dying at once."""
    raise SystemExit(128 + signum)
