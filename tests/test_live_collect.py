"""Live collection with the real SDK clients against HTTP-level fakes of every provider API."""

from __future__ import annotations

import pytest
from conftest import NOW
from fakes.compare import differences
from fakes.fleet import fake_fleet  # noqa: F401  (fixture)

from intent.observe.collect import LiveSource
from intent.plan import plan_fleet
from intent.observe.sources import CollectError

ALL = ("prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu")

# One representative request per provider, for fault injection: (server, method, path pattern,
# cluster it belongs to, the start of the cause a failure there must produce).
FAULT_POINTS = {
    "kubernetes": ("kube", "GET", r"^/k/prod-euw1/api/v1/namespaces$", "prod-euw1", "kubernetes list_namespace: "),
    "eks": ("eks", "GET", r"^/clusters/prod-use1$", "prod-use1", "eks describe_cluster: "),
    "gke": ("google", "POST", r"^/v3/projects/acme-prod:getIamPolicy$", "prod-euw1", "crm get_iam_policy: "),
    "aks": ("arm", "GET", r"(?i)/managedClusters/prod-weu/providers/Microsoft.Authorization/roleAssignments$",
            "prod-weu", "aks role_assignments.list_for_scope: "),
}


def collect(loaded, names=None, **kwargs) -> dict[str, dict | CollectError]:
    plans = plan_fleet(loaded.intent, NOW, names).clusters
    kwargs.setdefault("timeout", 15.0)
    return {plan.name: result for plan, result in LiveSource(**kwargs).collect(plans)}


def failures(results) -> dict[str, str]:
    return {name: str(result) for name, result in results.items() if isinstance(result, CollectError)}


def test_collect_example_fleet_documents_match_served_snapshot(loaded_example, fake_fleet):
    results = collect(loaded_example)

    assert sorted(results) == sorted(ALL)
    assert failures(results) == {}
    problems = [p for name, docs in results.items() for p in differences(docs, fake_fleet.data, name)]
    assert problems == []


def test_collect_example_fleet_follows_every_pagination_token(loaded_example, fake_fleet):
    collect(loaded_example)

    def used(server, token: str) -> bool:
        return any(token in request for request in server.requests)

    assert used(fake_fleet.kube, "continue=")
    assert used(fake_fleet.eks, "nextToken=")
    assert used(fake_fleet.arm, "$skipToken=")


def test_collect_config_map_cluster_has_no_access_entries_document(loaded_example, fake_fleet):
    results = collect(loaded_example, ["legacy-usw2", "prod-use1"])

    assert "aws/access-entries.json" not in results["legacy-usw2"]
    assert "kubernetes/aws-auth.json" in results["legacy-usw2"]
    assert "aws/access-entries.json" in results["prod-use1"]
    assert "kubernetes/aws-auth.json" not in results["prod-use1"]  # 404 -> absent


@pytest.mark.parametrize("provider", sorted(FAULT_POINTS))
def test_collect_403_unreadable_cluster_only(loaded_example, fake_fleet, provider):
    server, method, pattern, cluster, cause = FAULT_POINTS[provider]
    getattr(fake_fleet, server).fail(pattern, 403, method=method)

    results = collect(loaded_example)

    assert sorted(failures(results)) == [cluster]
    message = failures(results)[cluster]
    assert message.startswith(cause)
    assert "403" in message or "AccessDenied" in message
    assert "\n" not in message
    assert all(isinstance(results[name], dict) for name in ALL if name != cluster)


@pytest.mark.parametrize("provider", sorted(FAULT_POINTS))
def test_collect_429_then_success_reads_cluster(loaded_example, fake_fleet, provider):
    server, method, pattern, cluster, _ = FAULT_POINTS[provider]
    getattr(fake_fleet, server).fail(pattern, 429, method=method, times=1)

    results = collect(loaded_example, [cluster])

    assert failures(results) == {}
    assert getattr(fake_fleet, server).faults[0].hits == 1
    assert differences(results[cluster], fake_fleet.data, cluster) == []


def test_collect_503_then_success_reads_cluster(loaded_example, fake_fleet):
    fake_fleet.eks.fail(r"/access-entries$", 503, times=2)

    results = collect(loaded_example, ["prod-use1"])

    assert failures(results) == {}
    assert fake_fleet.eks.faults[0].hits == 2


def test_collect_throttled_past_deadline_unreadable(loaded_example, fake_fleet):
    fake_fleet.eks.fail(r"^/clusters/prod-use1$", 429)

    results = collect(loaded_example, ["prod-use1"], timeout=1.0)

    assert sorted(failures(results)) == ["prod-use1"]
    assert failures(results)["prod-use1"].startswith("eks describe_cluster: still throttled after ")
    assert "ThrottlingException" in failures(results)["prod-use1"]


@pytest.mark.parametrize("provider", sorted(FAULT_POINTS))
def test_collect_hang_times_out_others_finish(loaded_example, fake_fleet, provider):
    server, method, pattern, cluster, cause = FAULT_POINTS[provider]
    getattr(fake_fleet, server).hang(pattern, method=method)
    # The hung cluster and one cluster of each other provider (few, so that the others finish
    # well within the deadline even on a busy machine).
    others = [name for name in ("prod-use1", "prod-euw1", "dev-weu") if name != cluster][:2]

    results = collect(loaded_example, [cluster, *others], timeout=4.0)

    assert sorted(failures(results)) == [cluster]
    assert failures(results)[cluster].startswith(cause)
    assert "timed out" in failures(results)[cluster]
    assert all(isinstance(results[name], dict) for name in others)


def test_collect_silent_worker_abandoned_others_finish(loaded_example, fake_fleet, monkeypatch):
    import threading

    import intent.observe.pool as collect_module

    release = threading.Event()
    real = collect_module.read_cluster

    def stuck_on_one(plan, budget, credentials):
        if plan.name == "prod-euw1":
            release.wait(30)  # stands in for code that ignores every timeout
            raise CollectError("released")
        return real(plan, budget, credentials)

    monkeypatch.setattr(collect_module, "read_cluster", stuck_on_one)
    monkeypatch.setattr(collect_module, "ABANDON_GRACE", 0.2)
    try:
        results = collect(loaded_example, ["prod-euw1", "prod-use1", "dev-weu"], timeout=3.0, concurrency=1)
    finally:
        release.set()

    assert failures(results) == {"prod-euw1": "no answer within 3s (timed out)"}
    assert set(results) == {"prod-euw1", "prod-use1", "dev-weu"}


def test_collect_unknown_context_unreadable(loaded_example, fake_fleet, tmp_path, monkeypatch):
    from fakes.fleet import write_kubeconfig

    other = tmp_path / "other-kubeconfig"
    write_kubeconfig(other, {"prod-use1": "prod-use1"}, fake_fleet.kube.url)
    monkeypatch.setenv("KUBECONFIG", str(other))

    results = collect(loaded_example, ["prod-use1", "dev-weu"])

    assert sorted(failures(results)) == ["dev-weu"]
    assert failures(results)["dev-weu"] == (
        "kubernetes: no kubeconfig context 'dev-weu': "
        "run `az aks get-credentials --name dev-weu --resource-group rg-dev`, or set kubeContext for this cluster in the intent"
    )


def test_collect_finds_the_contexts_cloud_clis_write(loaded_example, fake_fleet):
    """Without kubeContext, the context `aws eks update-kubeconfig` writes (the cluster ARN) and
    the one `gcloud container clusters get-credentials` writes (gke_<project>_<location>_<name>)
    are found: the fake fleet's kubeconfig holds only those (tests/fakes/fleet.py)."""
    contexts = fake_fleet_contexts()
    assert "arn:aws:eks:us-east-1:111122223333:cluster/prod-use1" in contexts
    assert "gke_acme-prod_europe-west1_prod-euw1" in contexts
    assert "prod-use1" not in contexts and "prod-euw1" not in contexts

    results = collect(loaded_example, ["prod-use1", "prod-euw1"])

    assert failures(results) == {}


def test_collect_prefers_the_cluster_name_and_never_the_current_context(loaded_example, fake_fleet, tmp_path, monkeypatch):
    """A context named after the cluster (an alias the user made) wins over the CLI's name; a
    kubeconfig holding neither fails loudly instead of reading its current-context."""
    from fakes.fleet import write_kubeconfig

    both = tmp_path / "both"
    # "prod-use1" reaches prod-use1's fake API; the ARN context is wired to another cluster's.
    write_kubeconfig(both, {"arn:aws:eks:us-east-1:111122223333:cluster/prod-use1": "legacy-usw2", "prod-use1": "prod-use1"}, fake_fleet.kube.url)
    monkeypatch.setenv("KUBECONFIG", str(both))
    results = collect(loaded_example, ["prod-use1"])
    namespaces = {item["metadata"]["name"] for item in results["prod-use1"]["kubernetes/namespaces.json"]["items"]}
    assert "checkout" in namespaces and "data-ingest" not in namespaces  # prod-use1's, not legacy-usw2's

    elsewhere = tmp_path / "elsewhere"
    write_kubeconfig(elsewhere, {"some-other-cluster": "prod-use1"}, fake_fleet.kube.url)
    monkeypatch.setenv("KUBECONFIG", str(elsewhere))
    assert failures(collect(loaded_example, ["prod-use1"]))["prod-use1"] == (
        "kubernetes: no kubeconfig context 'prod-use1' or 'arn:aws:eks:us-east-1:111122223333:cluster/prod-use1': "
        "run `aws eks update-kubeconfig --name prod-use1 --region us-east-1`, or set kubeContext for this cluster in the intent"
    )


def test_collect_with_kube_context_tries_only_that_context(loaded_example, fake_fleet, tmp_path, monkeypatch):
    from fakes.fleet import write_kubeconfig

    other = tmp_path / "other"
    # stage-use1 names its context in the intent: a context named after the cluster is not used.
    write_kubeconfig(other, {"stage-use1": "stage-use1"}, fake_fleet.kube.url)
    monkeypatch.setenv("KUBECONFIG", str(other))
    assert failures(collect(loaded_example, ["stage-use1"]))["stage-use1"] == (
        "kubernetes: no kubeconfig context 'arn:aws:eks:us-east-1:111122223333:cluster/stage-use1': "
        "add it, or correct kubeContext in the intent"
    )


def fake_fleet_contexts() -> set[str]:
    import os

    import yaml

    with open(os.environ["KUBECONFIG"]) as f:
        return {c["name"] for c in yaml.safe_load(f)["contexts"]}


def test_collect_missing_kubeconfig_file_is_named(loaded_example, fake_fleet, tmp_path, monkeypatch):
    missing = tmp_path / "no-such-kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(missing))

    results = collect(loaded_example, ["prod-use1", "dev-weu"])

    assert failures(results) == {
        name: f"kubernetes: no kubeconfig file at {missing} (KUBECONFIG)" for name in ("prod-use1", "dev-weu")
    }


def test_collect_kubernetes_401_unreadable(loaded_example, fake_fleet, tmp_path, monkeypatch):
    import json

    config = json.loads(fake_fleet.kubeconfig.read_text())
    for user in config["users"]:
        user["user"]["token"] = "wrong"
    fake_fleet.kubeconfig.write_text(json.dumps(config))

    results = collect(loaded_example, ["prod-weu"])

    assert failures(results)["prod-weu"].startswith("kubernetes list_namespace: HTTP 401 Unauthorized")


def test_collect_missing_aws_credentials_unreadable(loaded_example, fake_fleet, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    results = collect(loaded_example, ["prod-use1", "prod-euw1"])

    assert sorted(failures(results)) == ["prod-use1"]
    assert failures(results)["prod-use1"].startswith("eks describe_cluster: NoCredentialsError")


def test_collect_missing_service_account_file_absent(loaded_example, fake_fleet):
    email = "ingest-worker@acme-data.iam.gserviceaccount.com"
    fake_fleet.google.fail(rf"/serviceAccounts/{email}:getIamPolicy$", 404, method="POST")

    results = collect(loaded_example, ["prod-euw1"])

    assert failures(results) == {}
    assert f"gcp/service-account-iam/{email}.json" not in results["prod-euw1"]
    assert "gcp/service-account-iam/payments-api@acme-prod.iam.gserviceaccount.com.json" in results["prod-euw1"]


def test_collect_with_progress_enabled_reads_and_keeps_stdout_clean(loaded_example, fake_fleet, capsys):
    results = collect(loaded_example, ["prod-use1"], progress=True)

    assert failures(results) == {}
    assert capsys.readouterr().out == ""


def test_collect_no_clusters_yields_nothing():
    assert list(LiveSource().collect([])) == []


@pytest.mark.parametrize("kwargs", [{"concurrency": 0}, {"timeout": 0}])
def test_live_source_bad_settings_rejected(kwargs):
    with pytest.raises(ValueError):
        LiveSource(**kwargs)


def test_collect_missing_google_credentials_unreadable(loaded_example, fake_fleet, monkeypatch, tmp_path):
    monkeypatch.delenv("GOOGLE_OAUTH_ACCESS_TOKEN")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-such-key.json"))

    results = collect(loaded_example, ["prod-euw1", "prod-weu"])

    assert sorted(failures(results)) == ["prod-euw1"]
    assert failures(results)["prod-euw1"].startswith("gke credentials: ")


def test_collect_unknown_aws_profile_fails_eks_clusters_only(loaded_example, fake_fleet, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")

    results = collect(loaded_example, ["prod-use1", "legacy-usw2", "prod-weu"])

    assert sorted(failures(results)) == ["legacy-usw2", "prod-use1"]
    for cause in failures(results).values():
        assert cause.startswith("eks client: ProfileNotFound") and "no-such-profile" in cause and "\n" not in cause


def test_collect_injected_credentials_used_instead_of_env(loaded_example, fake_fleet, monkeypatch):
    from google.oauth2.credentials import Credentials

    from fakes.providers import ARM_TOKEN, GOOGLE_TOKEN
    from intent.observe.pool import CloudCredentials
    from translators.aks.live import StaticTokenCredential

    monkeypatch.delenv("GOOGLE_OAUTH_ACCESS_TOKEN")
    monkeypatch.delenv("FLEET_INTENT_ARM_ACCESS_TOKEN")
    injected = CloudCredentials(google=Credentials(token=GOOGLE_TOKEN), azure=StaticTokenCredential(ARM_TOKEN))

    results = collect(loaded_example, ["prod-euw1", "prod-weu"], credentials=injected)

    assert failures(results) == {}


def test_collect_crm_endpoint_override_used_for_project_policy(loaded_example, fake_fleet, monkeypatch):
    from fakes.providers import Data, google_error, google_route
    from fakes.server import FakeServer

    crm = FakeServer("crm", google_route(Data(fake_fleet.data)), google_error).start()
    monkeypatch.setenv("FLEET_INTENT_CRM_ENDPOINT", crm.url)
    try:
        results = collect(loaded_example, ["prod-euw1"])
    finally:
        crm.stop()

    assert failures(results) == {}
    assert [r.split("?")[0] for r in crm.requests] == ["POST /v3/projects/acme-prod:getIamPolicy"]
    assert not [r for r in fake_fleet.google.requests if r.startswith("POST /v3/")]
    assert crm.unexpected == []


def test_collect_one_arm_connection_per_worker_across_clients_and_clusters(loaded_example, fake_fleet):
    # Each AKS cluster is read through three azure-mgmt clients; a worker keeps its one TLS
    # connection to ARM across them and across clusters instead of a handshake per client.
    results = collect(loaded_example, ["prod-weu", "dev-weu"], concurrency=1)

    assert failures(results) == {}
    assert len(fake_fleet.arm.requests) > 6
    assert fake_fleet.arm.connections == 1


def test_collect_azure_token_fetched_once_for_every_client_and_cluster(loaded_example, fake_fleet, monkeypatch):
    # Three azure-mgmt clients per cluster each cache tokens of their own; a credential such as
    # AzureCliCredential runs `az` for every token asked of it. The run asks once.
    import translators.aks.live as aks_live

    fetched = []

    class CountingToken(aks_live.StaticTokenCredential):
        def get_token(self, *scopes, **kwargs):
            fetched.append(scopes)
            return super().get_token(*scopes, **kwargs)

    monkeypatch.setattr(aks_live, "StaticTokenCredential", CountingToken)

    results = collect(loaded_example, ["prod-weu", "dev-weu"], concurrency=2)

    assert failures(results) == {}
    assert len(fetched) == 1


def test_shared_azure_token_is_fetched_again_near_expiry():
    from azure.core.credentials import AccessToken

    from translators.aks.live import SharedTokenCredential

    expiries = iter([0, 10**10])  # already expired, then valid for long

    class Inner:
        calls = 0

        def get_token(self, *scopes, **kwargs):
            Inner.calls += 1
            return AccessToken(f"t{Inner.calls}", next(expiries))

    shared = SharedTokenCredential(Inner())
    assert shared.get_token("s").token == "t1"
    assert shared.get_token("s").token == "t2" and shared.get_token("s").token == "t2"
    assert Inner.calls == 2


def test_collect_google_clients_kept_across_the_clusters_a_worker_reads(loaded_example, fake_fleet):
    # The one GKE cluster read twice by one worker: the second read opens no new connection
    # (one each for the container API, Resource Manager and IAM, all served by one fake).
    plan = plan_fleet(loaded_example.intent, NOW, ["prod-euw1"]).clusters[0]
    results = list(LiveSource(concurrency=1, timeout=15.0).collect([plan, plan]))

    assert [type(result) for _, result in results] == [dict, dict]
    assert len(fake_fleet.google.requests) > 6
    assert fake_fleet.google.connections == 3


def test_collect_starts_the_reads_with_most_calls_first(loaded_example):
    from intent.observe.pool import expected_calls, longest_first
    from intent.observe.fanout import balanced_shares

    plans = plan_fleet(loaded_example.intent, NOW).clusters
    order = [plans[index].name for index, _ in longest_first(plans)]
    calls = {plan.name: expected_calls(plan) for plan in plans}

    assert [calls[name] for name in order] == sorted(calls.values(), reverse=True)
    # EKS access entries cost two calls per principal: the access-entry clusters are read first;
    # the aws-auth-only cluster needs none of them.
    assert set(order[:2]) == {"prod-use1", "stage-use1"} and calls["prod-use1"] > calls["legacy-usw2"]
    shares = balanced_shares(plans, 2)
    assert sorted(i for share in shares for i in share) == list(range(len(plans)))
    loads = [sum(calls[plans[i].name] for i in share) for share in shares]
    assert max(loads) - min(loads) <= max(calls.values())


@pytest.mark.parametrize("provider", ["eks", "gke", "aks"])
def test_every_live_module_provides_the_reader_interface(provider):
    import importlib
    import inspect

    from translators.base import LiveReader

    module = importlib.import_module(f"translators.{provider}.live")
    for name, method in inspect.getmembers(LiveReader, inspect.isfunction):
        if not name.startswith("_"):
            wanted = list(inspect.signature(method).parameters)[1:]  # without self
            assert list(inspect.signature(getattr(module, name)).parameters) == wanted, (provider, name)
