"""Live collection: every cluster read through the official clients, concurrently and bounded.

`LiveSource` implements `StateSource` (intent/observe/sources.py). Each cluster gets a `Budget`: one
deadline (`timeout` seconds from the moment its worker picks it up) shared by every call and
retry made for it. Retries live here, not in the SDKs (whose own retries are switched off),
so that one policy (exponential backoff with full jitter on throttling and timeouts) holds for
all four clients and never outlives the deadline. Workers are daemon threads: a cluster that
hangs is reported when its deadline passes and is never waited for at exit.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import queue
import random
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from intent.plan import ClusterPlan
from intent.progress import progress_bar
from intent.observe.sources import CollectError, Documents

T = TypeVar("T")

THROTTLE_STATUSES = frozenset({429, 503})
# botocore error codes that mean "slow down" (botocore/retries/standard.py, THROTTLING_ERROR_CODES).
AWS_THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
    }
)
BACKOFF_BASE = 0.25  # seconds; doubles per attempt
BACKOFF_CAP = 8.0
# How long past its deadline a worker may stay silent before the cluster is reported timed out.
# Per-call timeouts end a stuck call at the deadline; this only covers code that ignores them.
ABANDON_GRACE = 2.0
MAX_CAUSE = 400
# Worker processes pay an interpreter start and the SDK imports (about 2 s): only for fleets
# where the clients' CPU, not the network, is the limit.
PROCESS_MIN_CLUSTERS = 32
MAX_PROCESSES = 8


class Budget:
    """The time one cluster may take: a deadline shared by all its calls and retries."""

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._sleep = sleep
        self.deadline = clock() + seconds

    def remaining(self) -> float:
        """Seconds left before the deadline (may be negative)."""
        return self.deadline - self._clock()

    def timeout(self) -> float:
        """The per-call timeout to pass to an SDK call made now: what is left of the deadline."""
        return max(self.remaining(), 0.05)

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """`fn()`, retried with backoff on throttling and timeouts until the deadline.

        `what` names the call in the cause ("eks describe_cluster"); `fn` takes no arguments so
        that it can read `self.timeout()` afresh on every attempt. Any other failure, and the
        last failure once the deadline is near, becomes a `CollectError` with a one-line cause.
        """
        attempt = 0
        while True:
            if self.remaining() <= 0:
                raise CollectError(f"{what}: timed out after {self.seconds:g}s")
            try:
                return fn()
            except CollectError:
                raise
            except Exception as exc:  # every SDK failure becomes this cluster's cause, see below
                kind = classify(exc)
                if kind == "fatal":
                    raise CollectError(f"{what}: {describe(exc)}") from exc
                attempt += 1
                delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
                if delay >= self.remaining():
                    state = "timed out" if kind == "timeout" else "still throttled"
                    raise CollectError(
                        f"{what}: {state} after {attempt} attempt(s) within {self.seconds:g}s: {describe(exc)}"
                    ) from exc
                self._sleep(delay)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an SDK exception carries, whichever SDK raised it."""
    for attr in ("status_code", "status", "code"):  # azure-core, kubernetes, google-api-core
        value = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value <= 599:
            return value
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # botocore ClientError
        value = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return value if isinstance(value, int) else None
    value = getattr(response, "status_code", None)  # requests.HTTPError
    return value if isinstance(value, int) else None


def _aws_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
    # urllib3's MaxRetryError keeps the real error in `.reason`
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException) and id(reason) not in seen:
        yield reason


def classify(exc: BaseException) -> str:
    """'throttled', 'timeout' or 'fatal' for an exception raised by any of the SDKs."""
    code = _aws_code(exc)
    if code is not None and (code in AWS_THROTTLE_CODES or code.startswith("Throttl")):
        return "throttled"
    if status_of(exc) in THROTTLE_STATUSES:
        return "throttled"
    for link in _chain(exc):
        if isinstance(link, TimeoutError):
            return "timeout"
        names = " ".join(cls.__name__ for cls in type(link).__mro__)
        if "Timeout" in names or "DeadlineExceeded" in names:
            return "timeout"
    return "fatal"


def describe(exc: BaseException) -> str:
    """A one-line cause: the SDK's error code and message, without tracebacks or newlines."""
    code = _aws_code(exc)
    if code is not None:
        message = exc.response.get("Error", {}).get("Message", "")  # type: ignore[attr-defined]
        text = f"{code}: {message}" if message else code
    elif any(cls.__name__ == "ApiException" for cls in type(exc).__mro__):  # kubernetes
        text = f"HTTP {getattr(exc, 'status', '?')} {getattr(exc, 'reason', '')}".rstrip()
        detail = _kube_message(getattr(exc, "body", None))
        text = f"{text}: {detail}" if detail else text
    elif type(exc).__module__.startswith("azure.") and hasattr(exc, "status_code"):  # azure-core
        error = getattr(exc, "error", None)
        status = getattr(exc, "status_code", None)
        message = getattr(exc, "message", None) or str(exc)
        if status is None:  # no HTTP answer: a credential or connection problem
            text = f"{type(exc).__name__}: {message}"
        elif error is not None and getattr(error, "code", None):
            text = f"HTTP {status} {error.code}: {error.message}"
        else:
            text = f"HTTP {status} {getattr(exc, 'reason', '') or ''}: {message}"
    elif type(exc).__module__.startswith("google.api_core") and hasattr(exc, "message"):
        text = f"HTTP {getattr(exc, 'code', '?')} {type(exc).__name__}: {exc.message}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_CAUSE else text[: MAX_CAUSE - 3] + "..."


def _kube_message(body: Any) -> str:
    import json

    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body:
        return ""
    try:
        return str(json.loads(body).get("message", ""))
    except (ValueError, AttributeError):
        return body


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
    from intent.observe.kubelive import LISTS

    return len(LISTS) + live_module(plan.provider).expected_calls(plan)


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
            from intent.observe.fanout import collect_in_processes

            results = collect_in_processes(plans, processes, self.concurrency, self.timeout)
        else:
            credentials = self.credentials or CloudCredentials()
            prepare({plan.provider for plan in plans}, credentials)
            results = _run_pool(plans, self.concurrency, self.timeout, credentials)
        with exit_on_sigterm(), progress_bar(self.progress, len(plans), "collecting") as advance:
            for plan, result in results:
                advance(plan.name)
                yield plan, result


@contextlib.contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """While a collection runs: SIGTERM raises SystemExit(143) rather than ending the process
    on the spot, so that worker processes are stopped and exec credential plugins killed as on
    Ctrl-C (intent/observe/kubeexec.py). Only on the main thread, and only over the default handler."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, _exit_terminated)
    try:
        yield
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _exit_terminated(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _run_pool(
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
