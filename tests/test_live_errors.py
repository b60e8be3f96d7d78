"""The collector's retry budget and its reading of each SDK's exceptions (real exception types)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from intent.observe.calls import Budget, classify, describe
from intent.observe.sources import CollectError


class FakeClock:
    """A clock that only moves when the budget sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def budget(seconds: float = 10.0) -> tuple[Budget, FakeClock]:
    clock = FakeClock()
    return Budget(seconds, clock=clock, sleep=clock.sleep), clock


def aws_error(code: str, status: int, message: str = "no"):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "DescribeCluster")


def kube_error(status: int, reason: str):
    from kubernetes.client.exceptions import ApiException

    exc = ApiException(status=status, reason=reason)
    exc.body = '{"kind": "Status", "message": "namespaces is forbidden: User \\"x\\" cannot list"}'
    return exc


def azure_error(status: int, code: str):
    from azure.core.exceptions import HttpResponseError, ODataV4Format

    exc = HttpResponseError(message=f"({code}) denied\nCode: {code}\nMessage: denied")
    exc.status_code = status
    exc.error = ODataV4Format({"code": code, "message": "The client does not have authorization"})
    return exc


def google_error(status: int):
    from google.api_core import exceptions

    return exceptions.from_http_status(status, "Permission 'container.clusters.get' denied")


def test_classify_throttling_from_every_sdk_is_throttled():
    for exc in (aws_error("ThrottlingException", 400), aws_error("TooManyRequestsException", 429),
                aws_error("Throttling", 400), kube_error(429, "Too Many Requests"), azure_error(429, "TooManyRequests"),
                azure_error(503, "ServiceUnavailable"), google_error(429), google_error(503)):
        assert classify(exc) == "throttled", exc


def test_classify_timeouts_from_every_sdk_are_timeouts():
    from azure.core.exceptions import ServiceResponseTimeoutError
    from botocore.exceptions import ReadTimeoutError
    from requests.exceptions import ReadTimeout
    from urllib3.exceptions import MaxRetryError
    from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

    urllib3_timeout = MaxRetryError(None, "/api", Urllib3ReadTimeout(None, "/api", "read timed out"))
    for exc in (ReadTimeoutError(endpoint_url="http://x"), ReadTimeout("read timed out"),
                ServiceResponseTimeoutError("timed out"), urllib3_timeout, TimeoutError("timed out")):
        assert classify(exc) == "timeout", exc


def test_classify_auth_failures_are_fatal():
    for exc in (aws_error("AccessDeniedException", 403), kube_error(401, "Unauthorized"), kube_error(403, "Forbidden"),
                azure_error(403, "AuthorizationFailed"), google_error(403), ValueError("bad")):
        assert classify(exc) == "fatal", exc


def test_describe_gives_one_line_with_the_sdk_code():
    assert describe(aws_error("AccessDeniedException", 403, "User: x is not authorized")) == \
        "AccessDeniedException: User: x is not authorized"
    assert describe(kube_error(403, "Forbidden")) == \
        'HTTP 403 Forbidden: namespaces is forbidden: User "x" cannot list'
    assert describe(azure_error(403, "AuthorizationFailed")) == \
        "HTTP 403 AuthorizationFailed: The client does not have authorization"
    assert describe(google_error(403)) == "HTTP 403 Forbidden: Permission 'container.clusters.get' denied"
    assert "\n" not in describe(RuntimeError("a\nb"))
    assert len(describe(RuntimeError("x" * 5000))) <= 400


def test_budget_call_retries_throttling_with_growing_jittered_backoff(monkeypatch):
    import intent.observe.calls

    jitter = []  # full jitter: uniform(0, cap); record the caps, sleep the maximum
    monkeypatch.setattr(intent.observe.calls.random, "uniform", lambda low, high: jitter.append((low, high)) or high)
    calls = []
    b, clock = budget(60)

    def flaky():
        calls.append(clock.now)
        if len(calls) < 4:
            raise aws_error("ThrottlingException", 400)
        return "ok"

    assert b.call("eks describe_cluster", flaky) == "ok"
    assert len(calls) == 4
    caps = [0.25 * 2 ** n for n in (1, 2, 3)]
    assert jitter == [(0, cap) for cap in caps]
    assert clock.sleeps == caps


def test_budget_call_fatal_error_not_retried():
    b, clock = budget()

    def denied():
        raise aws_error("AccessDeniedException", 403, "nope")

    with pytest.raises(CollectError, match=r"^eks describe_cluster: AccessDeniedException: nope$"):
        b.call("eks describe_cluster", denied)
    assert clock.sleeps == []


def test_budget_call_gives_up_before_sleeping_past_deadline():
    b, clock = budget(2.0)

    def throttled():
        raise kube_error(429, "Too Many Requests")

    with pytest.raises(CollectError, match=r"^kubernetes list_namespace: still throttled after \d+ attempt\(s\) within 2s"):
        b.call("kubernetes list_namespace", throttled)
    assert clock.now <= 2.0


def test_budget_call_after_deadline_times_out_without_calling():
    b, clock = budget(1.0)
    clock.now = 1.5

    with pytest.raises(CollectError, match=r"^gke get_cluster: timed out after 1s$"):
        b.call("gke get_cluster", lambda: pytest.fail("called after the deadline"))


def test_budget_timeout_is_what_is_left():
    b, clock = budget(5.0)
    clock.now = 3.0
    assert b.timeout() == pytest.approx(2.0)
    clock.now = 9.0
    assert b.timeout() > 0


def test_import_live_modules_loads_no_cloud_sdk():
    code = (
        "import sys, intent.cli.main, intent.observe.collect, intent.observe.kubelive, intent.cli.snapshot\n"
        "import translators.eks.live, translators.gke.live, translators.aks.live\n"
        "loaded = [m for m in ('boto3', 'botocore', 'kubernetes', 'google.cloud.container_v1', 'google.auth',\n"
        "          'azure.mgmt.containerservice', 'azure.identity', 'rich') if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
    assert result.stderr == ""


def test_describe_azure_credential_failure_names_it():
    from azure.core.exceptions import ClientAuthenticationError

    text = describe(ClientAuthenticationError(message="DefaultAzureCredential failed to retrieve a token.\nAttempted: ..."))
    assert text.startswith("ClientAuthenticationError: DefaultAzureCredential failed to retrieve a token.")


def test_throttling_stays_the_cause_when_the_last_attempt_times_out_at_the_deadline(monkeypatch):
    """The attempt made with what little is left of the deadline may time out rather than be
    throttled again; the cause still says throttling (the limit to raise), with its error."""
    from botocore.exceptions import ReadTimeoutError

    monkeypatch.setattr("intent.observe.calls.random.uniform", lambda low, high: 0.0)
    b, clock = budget(1.0)
    answers = iter([aws_error("ThrottlingException", 400, "Rate exceeded")] * 3)

    def call():
        exc = next(answers, None)
        if exc is None:
            clock.now = 1.0  # the read used up the rest of the deadline
            raise ReadTimeoutError(endpoint_url="https://eks.us-east-1.amazonaws.com/clusters/prod-use1")
        raise exc

    with pytest.raises(CollectError) as caught:
        b.call("eks describe_cluster", call)
    assert str(caught.value).startswith("eks describe_cluster: still throttled after 4 attempt(s) within 1s: ")
    assert "ThrottlingException" in str(caught.value)


def test_a_deadline_passed_during_a_backoff_names_the_failure_that_led_to_it(monkeypatch):
    """A busy machine oversleeps a backoff past the deadline: the cause is the throttling that
    led to it, not a bare "timed out" (the flaky outcome a loaded CI machine used to see)."""
    monkeypatch.setattr("intent.observe.calls.random.uniform", lambda low, high: 0.1)
    b, clock = budget(1.0)
    clock.sleep = lambda seconds: setattr(clock, "now", clock.now + seconds + 0.5)
    b._sleep = clock.sleep

    def call():
        raise aws_error("ThrottlingException", 400, "Rate exceeded")

    with pytest.raises(CollectError) as caught:
        b.call("eks describe_cluster", call)
    assert str(caught.value).startswith("eks describe_cluster: still throttled after 2 attempt(s) within 1s: ")
    assert "ThrottlingException" in str(caught.value)
