"""Live collection spread over worker processes gives what one process gives."""

from __future__ import annotations

from conftest import NOW
from fakes.compare import differences
from fakes.fleet import fake_fleet  # noqa: F401  (fixture)

from intent.observe.collect import PROCESS_MIN_CLUSTERS, LiveSource
from intent.observe.pool import CloudCredentials
from intent.plan import plan_fleet
from intent.observe.sources import CollectError


def _collect(loaded, **kwargs):
    plans = plan_fleet(loaded.intent, NOW).clusters
    return {plan.name: result for plan, result in LiveSource(**kwargs).collect(plans)}


def test_two_processes_read_every_cluster_like_the_served_snapshot(loaded_example, fake_fleet):
    results = _collect(loaded_example, processes=2, concurrency=4, timeout=30.0)

    assert sorted(results) == sorted(c.name for c in loaded_example.intent.clusters)
    assert not [name for name, r in results.items() if isinstance(r, CollectError)]
    problems = [p for name, docs in results.items() for p in differences(docs, fake_fleet.data, name)]
    assert problems == []


def test_hung_cluster_in_a_worker_process_times_out_and_the_rest_finish(loaded_example, fake_fleet):
    fake_fleet.eks.hang(r"^/clusters/prod-use1$")

    results = _collect(loaded_example, processes=2, concurrency=4, timeout=6.0)

    failed = {name: str(r) for name, r in results.items() if isinstance(r, CollectError)}
    assert sorted(failed) == ["prod-use1"]
    assert "timed out" in failed["prod-use1"]
    assert len(results) == 6


def test_worker_processes_only_where_they_pay_and_can_work():
    assert LiveSource().worker_processes(PROCESS_MIN_CLUSTERS - 1) == 1
    assert LiveSource(concurrency=1).worker_processes(1000) == 1
    assert LiveSource(processes=3, concurrency=2).worker_processes(1000) == 2
    assert LiveSource(processes=4).worker_processes(2) == 2
    # Injected credentials cannot cross a process boundary.
    assert LiveSource(processes=4, credentials=CloudCredentials()).worker_processes(1000) == 1
