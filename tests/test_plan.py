"""The planner's effective Pod Security levels, grants and workload identities."""

from __future__ import annotations

import datetime as dt
import json

import yaml

from conftest import EXAMPLE, NOW
from intent.load import parse_intent
from intent.model import Level
from intent.plan import plan_fleet

R, B, P = Level.RESTRICTED, Level.BASELINE, Level.PRIVILEGED


def _plan(data=None, now=NOW):
    raw = EXAMPLE.read_bytes() if data is None else yaml.safe_dump(data, sort_keys=False).encode()
    loaded = parse_intent(raw, "x.yaml", now)
    return plan_fleet(loaded.intent, now)


def _levels(fleet, cluster, namespace):
    ns = fleet.cluster(cluster).namespace(namespace)
    return (ns.pod_security.enforce, ns.pod_security.audit, ns.pod_security.warn, ns.pod_security.version)


def test_baseline_applies_with_audit_and_warn_from_the_org():
    fleet = _plan()
    # data-ingest has no override: enforce baseline, audit/warn restricted as the org says.
    assert _levels(fleet, "prod-weu", "data-ingest") == (B, R, R, "latest")


def test_audit_and_warn_default_to_enforce():
    data = yaml.safe_load(EXAMPLE.read_text())
    data["podSecurity"] = {"enforce": "baseline"}
    fleet = _plan(data)
    assert _levels(fleet, "prod-weu", "data-ingest") == (B, B, B, "latest")


def test_stricter_override_and_version_override():
    fleet = _plan()
    assert _levels(fleet, "prod-weu", "payments") == (R, R, R, "latest")
    assert _levels(fleet, "prod-weu", "data-warehouse") == (B, R, R, "v1.30")


def test_valid_exception_replaces_only_the_levels_it_names():
    fleet = _plan()
    assert _levels(fleet, "prod-use1", "payments-batch") == (P, R, R, "latest")
    ns = fleet.cluster("prod-use1").namespace("payments-batch")
    assert ns.exceptions == ("EXC-042",)
    assert dict(ns.labels)["pod-security.kubernetes.io/enforce"] == "privileged"


def test_exception_limited_to_some_clusters():
    fleet = _plan()
    # EXC-042 names prod-use1 and legacy-usw2; on the other hosts of payments-batch it does not apply.
    assert _levels(fleet, "legacy-usw2", "payments-batch")[0] == P
    for other in ("stage-use1", "prod-euw1", "prod-weu"):
        assert _levels(fleet, other, "payments-batch")[0] == B
        assert fleet.cluster(other).exceptions_applied == ()


def test_exception_without_clusters_applies_everywhere_it_is_hosted():
    data = yaml.safe_load(EXAMPLE.read_text())
    del data["exceptions"][0]["clusters"]
    fleet = _plan(data)
    for cluster in ("prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu"):
        assert _levels(fleet, cluster, "payments-batch")[0] == P


def test_expired_exception_no_longer_applies_and_is_listed():
    # Valid through the whole expiry day (UTC), expired from the next day on.
    last_day = dt.datetime(2027, 6, 30, 23, 59, tzinfo=dt.timezone.utc)
    assert _levels(_plan(now=last_day), "prod-use1", "payments-batch")[0] == P
    after = dt.datetime(2027, 7, 1, tzinfo=dt.timezone.utc)
    fleet = _plan(now=after)
    assert _levels(fleet, "prod-use1", "payments-batch") == (B, R, R, "latest")
    cluster = fleet.cluster("prod-use1")
    assert [e.id for e in cluster.exceptions_expired] == ["EXC-042"]
    assert cluster.exceptions_expired[0].owner == "payments-oncall@acme.example"
    assert fleet.cluster("prod-weu").exceptions_expired == ()


def test_star_hosts_every_team():
    fleet = _plan()
    names = {ns.name for ns in fleet.cluster("prod-euw1").namespaces}
    assert names == {"payments", "payments-batch", "checkout", "data-ingest", "data-warehouse"}
    assert {ns.name for ns in fleet.cluster("prod-use1").namespaces} == {"payments", "payments-batch", "checkout"}


def test_labels_carry_psa_managed_by_team_and_own_labels():
    labels = dict(_plan().cluster("prod-weu").namespace("payments-batch").labels)
    assert labels["app.kubernetes.io/managed-by"] == "fleet-intent"
    assert labels["fleet-intent/team"] == "payments"
    assert labels["cost-centre"] == "42"
    for mode in ("enforce", "audit", "warn"):
        assert f"pod-security.kubernetes.io/{mode}" in labels
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "latest"


def test_grants_are_per_provider_and_scoped():
    fleet = _plan()
    eks = fleet.cluster("prod-use1")
    cluster_grants = {(g.principal, g.level) for g in eks.grants if g.scope == "cluster"}
    assert cluster_grants == {
        ("arn:aws:iam::111122223333:role/platform-admin", "cluster-admin"),
        ("arn:aws:iam::111122223333:role/security-audit", "view"),
    }
    edit = [g for g in eks.grants if g.principal.endswith("role/payments-dev")]
    assert len(edit) == 1 and edit[0].namespaces == ("payments", "payments-batch") and edit[0].team == "payments"
    aks = fleet.cluster("prod-weu")
    assert all(g.principal.split(":")[0] in {"group", "user", "servicePrincipal"} for g in aks.grants)


def test_workload_identities_per_provider():
    fleet = _plan()
    assert {w.service_account for w in fleet.cluster("prod-use1").workload_identities} == {"payments-api", "checkout-web"}
    aks = fleet.cluster("prod-weu").workload_identities
    assert {(w.service_account, w.identity) for w in aks} == {
        ("payments-api", "0b0c0d0e-0000-4000-8000-000000000003"),
        ("ingest-worker", "0b0c0d0e-0000-4000-8000-000000000007"),
    }
    assert all(w.identity_resource for w in aks)


def test_plan_dumps_to_json_and_is_deterministic():
    first = json.dumps([c.to_dict() for c in _plan().clusters], sort_keys=True)
    second = json.dumps([c.to_dict() for c in _plan().clusters], sort_keys=True)
    assert first == second
    assert json.loads(first)[0]["cluster"]["name"] == "prod-use1"
