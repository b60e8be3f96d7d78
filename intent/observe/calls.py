"""One cluster's calls: a deadline shared by every call and retry made for it (`Budget`), and
how each SDK's exceptions read (throttled, timed out, fatal; a one-line cause).

Retries live here, not in the SDKs (whose own retries are switched off), so that one policy
(exponential backoff with full jitter on throttling and timeouts) holds for all four clients
and never outlives the deadline.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from intent.quoting import clip
from intent.observe.sources import CollectError

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
MAX_CAUSE = 400

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
        throttled = False
        last: Exception | None = None
        while True:
            if self.remaining() <= 0:
                if last is None:
                    raise CollectError(f"{what}: timed out after {self.seconds:g}s")
                raise self._gave_up(what, attempt, throttled, last) from last
            try:
                return fn()
            except CollectError:
                raise
            except Exception as exc:  # every SDK failure becomes this cluster's cause, see below
                kind = classify(exc)
                if kind == "fatal":
                    raise CollectError(f"{what}: {describe(exc)}") from exc
                attempt += 1
                if kind == "throttled":
                    throttled, last = True, exc
                elif not throttled:
                    last = exc  # a timeout is the cause only while nothing was throttled
                delay = random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))
                if delay >= self.remaining():
                    raise self._gave_up(what, attempt, throttled, last) from exc
                self._sleep(delay)

    def _gave_up(self, what: str, attempts: int, throttled: bool, last: Exception) -> CollectError:
        # Throttling is the cause even when the last attempt, made with what little was left of
        # the deadline, timed out instead: the report must say which limit to raise.
        state = "still throttled" if throttled else "timed out"
        return CollectError(f"{what}: {state} after {attempts} attempt(s) within {self.seconds:g}s: {describe(last)}")


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
    return clip(text, MAX_CAUSE)


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
