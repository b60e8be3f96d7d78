"""`check --live` and `snapshot --live` read the admission policies, bindings and parameters
(SPEC §13) through the real kubernetes client (AdmissionregistrationV1Api, CoreV1Api) from the
HTTP-level fake API server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLE, NOW, invoke_cli
from fakes.fleet import COMPLIANT, example_contexts, fake_fleet, start_fleet  # noqa: F401  (fixture)

from intent.observe.collect import LiveSource
from intent.observe.kubelive import NOT_SERVED
from intent.observe.sources import CollectError
from intent.plan import plan_fleet

POLICIES = "kubernetes/validatingadmissionpolicies.json"
BINDINGS = "kubernetes/validatingadmissionpolicybindings.json"
PARAMS = "kubernetes/admission-params.json"
VAP_PATHS = ("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies",
             "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings",
             "/api/v1/namespaces/fleet-intent-system/configmaps")


def check_live(capsys, intent=EXAMPLE, *extra: str) -> tuple[int, dict]:
    code, out, _ = invoke_cli(capsys, "check", intent, "--live", "--format", "json", "--timeout", "15",
                              "--now", "2026-11-26", *extra)
    return code, json.loads(out)


@pytest.fixture
def fleet_over(tmp_path, monkeypatch, loaded_example):
    """Start the fakes over a copy of the compliant snapshot changed by the test."""
    started = []

    def start(change) -> Path:
        data = tmp_path / "served"
        shutil.copytree(COMPLIANT, data)
        change(data)
        started.append(start_fleet(data, tmp_path, monkeypatch, example_contexts(loaded_example.intent)))
        return data

    yield start
    for fleet in started:
        for server in fleet.servers:
            server.stop()
        assert not fleet.unexpected(), "\n".join(fleet.unexpected())


def test_check_live_reads_admission_objects_paginated_and_finds_nothing(capsys, fake_fleet):
    code, report = check_live(capsys)

    assert report["findings"] == [] and code == 0
    for path in VAP_PATHS:
        reads = [r for r in fake_fleet.kube.requests if r.split("?")[0].endswith(path)]
        assert len({r.split("/")[2] for r in reads}) == 6, path  # every cluster
        assert all("limit=" in r for r in reads)
    # The policies span pages of the fake's size (2): the continue token was followed.
    assert any("validatingadmissionpolicies?" in r and "continue=" in r for r in fake_fleet.kube.requests)


def test_snapshot_live_writes_the_admission_documents(capsys, fake_fleet, tmp_path):
    out = tmp_path / "snap"
    code, _, _ = invoke_cli(capsys, "snapshot", EXAMPLE, "--live", "-o", out, "--timeout", "15", "--now", "2026-11-26")
    assert code == 0
    for rel in (POLICIES, BINDINGS, PARAMS):
        written = json.loads((out / "legacy-usw2" / rel).read_text(encoding="utf-8"))
        assert written == json.loads((COMPLIANT / "legacy-usw2" / rel).read_text(encoding="utf-8"))
    code, out_text, _ = invoke_cli(capsys, "check", EXAMPLE, "--snapshot", out, "--format", "json", "--now", "2026-11-26")
    assert json.loads(out_text)["findings"] == [] and code == 0


def test_cluster_not_serving_the_api_is_fi_adm_001(capsys, fleet_over, loaded_example):
    def before_1_30(data: Path) -> None:
        for rel in (POLICIES, BINDINGS):
            (data / "prod-euw1" / rel).write_text(json.dumps(NOT_SERVED), encoding="utf-8")
        (data / "prod-euw1" / PARAMS).unlink()  # no ConfigMaps there either: an empty list

    fleet_over(before_1_30)
    plans = plan_fleet(loaded_example.intent, NOW, ["prod-euw1"]).clusters
    [(_, documents)] = list(LiveSource(timeout=15).collect(plans))
    assert documents[POLICIES] == NOT_SERVED and documents[BINDINGS] == NOT_SERVED
    assert documents[PARAMS]["items"] == []

    code, report = check_live(capsys, EXAMPLE, "--cluster", "prod-euw1")

    assert {(f["rule"], f["object"]) for f in report["findings"]} == {
        ("FI-ADM-001", "APIResource/admissionregistration.k8s.io/v1/validatingadmissionpolicies"),
        ("FI-ADM-002", "ConfigMap/fleet-intent-system/fleet-intent-psa-floor"),
        ("FI-ADM-002", "ConfigMap/fleet-intent-system/fleet-intent-cluster-admin-guard"),
    }
    assert code == 1


def test_forbidden_policy_list_makes_only_that_cluster_unreadable(capsys, fake_fleet):
    fake_fleet.kube.fail(r"^/k/prod-weu/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies$", 403)

    code, report = check_live(capsys)

    [finding] = report["findings"]
    assert (finding["rule"], finding["cluster"]) == ("FI-COLLECT-001", "prod-weu")
    assert finding["actual"].startswith("kubernetes list_validating_admission_policy: HTTP 403")
    assert code == 1


def test_live_weakened_binding_found(capsys, fleet_over):
    def audit_only(data: Path) -> None:
        path = data / "prod-use1" / BINDINGS
        doc = json.loads(path.read_text(encoding="utf-8"))
        for item in doc["items"]:
            item["spec"]["validationActions"] = ["Audit"]
        path.write_text(json.dumps(doc), encoding="utf-8")

    fleet_over(audit_only)

    code, report = check_live(capsys, EXAMPLE, "--cluster", "prod-use1")

    assert {(f["rule"], f["object"], f["actual"]) for f in report["findings"]} == {
        ("FI-ADM-001", "ValidatingAdmissionPolicyBinding/fleet-intent-psa-floor", "validationActions=[Audit]"),
        ("FI-ADM-001", "ValidatingAdmissionPolicyBinding/fleet-intent-cluster-admin-guard", "validationActions=[Audit]"),
    }
    assert code == 1


def test_intent_without_admission_reads_no_admission_api(capsys, fake_fleet, tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    intent = tmp_path / "intent.yaml"
    intent.write_text(text[: text.index("admission:\n")], encoding="utf-8")

    code, report = check_live(capsys, intent)

    assert report["findings"] == [] and code == 0
    assert fake_fleet.kube.requests
    assert not [r for r in fake_fleet.kube.requests if any(p in r for p in VAP_PATHS)]


def test_collect_error_cause_names_the_admission_list(fake_fleet, loaded_example):
    fake_fleet.kube.fail(r"^/k/dev-weu/api/v1/namespaces/fleet-intent-system/configmaps$", 403)
    plans = plan_fleet(loaded_example.intent, NOW, ["dev-weu"]).clusters

    [(_, result)] = list(LiveSource(timeout=15).collect(plans))

    assert isinstance(result, CollectError)
    assert str(result).startswith("kubernetes list_namespaced_config_map fleet-intent-system: HTTP 403")
