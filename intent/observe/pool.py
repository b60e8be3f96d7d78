"""The thread pool that reads clusters: each cluster read by one worker thread within its
`Budget`, the longest reads first, credentials made once per run before any deadline starts.

Workers are daemon threads: a cluster that hangs is reported when its deadline passes and is
never waited for at exit.
"""

from __future__ import annotations

import importlib
import queue
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from intent.observe.calls import Budget, describe
from intent.observe.sources import CollectError, Documents
from intent.plan import ClusterPlan

# Signals that end a run from outside (kill, a CI cancel, a closed terminal): while clusters are
# read each unwinds like Ctrl-C, so that worker processes stop and exec plugins are killed.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
# How long past its deadline a worker may stay silent before the cluster is reported timed out.
# Per-call timeouts end a stuck call at the deadline; this only covers code that ignores them.
ABANDON_GRACE = 2.0


def live_module(provider: str):
    """A provider's live reader module (the `translators.base.LiveReader` interface)."""
    return importlib.import_module(f"translators.{provider}.live")


class CloudCredentials:
    """Credentials shared by every cluster of a run (thread-safe).

    Pass `google=` (a google.auth credentials object) or `azure=` (an azure-core
    TokenCredential) to inject them; otherwise each provider's `default_credentials()` runs the
    default chain (translators/<p>/live.py).
    """

    def __init__(self, google: Any = None, azure: Any = None) -> None:
        self._made: dict[str, Any] = {}
        if google is not None:
            self._made["gke"] = google
        if azure is not None:
            self._made["aks"] = azure
        self._lock = threading.Lock()

    def make(self, providers: set[str]) -> None:
        """Make the credentials of `providers` now, before any cluster's deadline starts: a
        default chain can take seconds (a metadata-server probe, an `az` subprocess)."""
        for provider in sorted(providers):
            try:
                self.get(provider)
            except Exception:  # kept, and raised to each cluster of that provider
                pass

    def get(self, provider: str) -> Any:
        """The credentials (for EKS: the boto3 session) of `provider`; raises what making them raised."""
        with self._lock:
            if provider not in self._made:
                try:
                    self._made[provider] = live_module(provider).default_credentials()
                except Exception as exc:  # bad AWS profile, broken config file: each cluster says so
                    self._made[provider] = exc
            made = self._made[provider]
        if isinstance(made, Exception):
            raise made
        return made


def read_cluster(plan: ClusterPlan, budget: Budget, credentials: CloudCredentials) -> Documents:
    """Every document of one cluster: Kubernetes objects, then its provider's cloud documents."""
    from intent.observe.kubelive import read_kubernetes

    documents: Documents = {}
    documents.update(read_kubernetes(plan, budget))
    documents.update(live_module(plan.provider).read_cloud(plan, budget, credentials))
    return documents


def expected_calls(plan: ClusterPlan) -> int:
    """About how many API calls reading `plan` takes: the Kubernetes lists and its cloud's calls."""
    from intent.observe.kubelive import ADMISSION_LISTS, LISTS

    admission = len(ADMISSION_LISTS) if plan.admission_mode else 0
    return len(LISTS) + admission + live_module(plan.provider).expected_calls(plan)


def longest_first(plans: list[ClusterPlan]) -> list[tuple[int, int]]:
    """(index, expected calls) of each plan, the longest reads first.

    A bounded pool ends when its last read does: a long read started last, while the other
    workers have nothing left, stretches the whole run. Started first, it overlaps the rest.
    """
    costs = [(index, expected_calls(plan)) for index, plan in enumerate(plans)]
    return sorted(costs, key=lambda item: -item[1])  # stable: ties keep the fleet's order


def prepare(providers: set[str], credentials: CloudCredentials) -> None:
    """Import the clients and make the credentials the clusters need, before any deadline
    starts (and off the pool: several threads importing one package only wait on each other)."""
    from intent.observe import kubelive
    kubelive.import_sdk()
    for provider in sorted(providers):
        live_module(provider).import_sdk()
    credentials.make(providers)


def run_pool(
    plans: list[ClusterPlan], width: int, timeout: float, credentials: CloudCredentials
) -> Iterator[tuple[ClusterPlan, Documents | CollectError]]:
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index, _ in longest_first(plans):
        todo.put(index)
    done: queue.SimpleQueue[tuple[int, Documents | CollectError]] = queue.SimpleQueue()
    started: dict[int, float] = {}
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set():
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            started[index] = time.monotonic()
            plan = plans[index]
            try:
                result: Documents | CollectError = read_cluster(plan, Budget(timeout), credentials)
            except CollectError as exc:
                result = exc
            except Exception as exc:  # a bug or an SDK surprise must not stop the other clusters
                result = CollectError(f"{plan.provider}: {describe(exc)}")
            done.put((index, result))

    def spawn() -> None:
        threading.Thread(target=work, name="fleet-intent-collect", daemon=True).start()

    for _ in range(min(width, len(plans))):
        spawn()
    pending = set(range(len(plans)))
    try:
        while pending:
            try:
                index, result = done.get(timeout=0.1)
            except queue.Empty:
                now = time.monotonic()
                for index in sorted(pending):
                    began = started.get(index)
                    if began is not None and now - began > timeout + ABANDON_GRACE:
                        pending.discard(index)
                        spawn()  # the stuck worker keeps its thread; keep the pool's width
                        yield plans[index], CollectError(f"no answer within {timeout:g}s (timed out)")
                continue
            if index in pending:
                pending.discard(index)
                yield plans[index], result
    finally:
        stop.set()
