"""`adopt` and the admission objects (SPEC §12, §13): existing policies, bindings, parameter
ConfigMaps and the fleet-intent-system namespace become kubernetes_manifest import blocks."""

from __future__ import annotations

import copy

import pytest

from conftest import FIXTURES
from test_check_admission import example_text, fleet_of

SNAPSHOTS = FIXTURES / "snapshots"
V1 = "admissionregistration.k8s.io/v1"


@pytest.fixture(scope="module")
def fleet():
    return fleet_of(example_text())


def adoption(fleet, cluster, snapshot="compliant", edit=None):
    from intent.check.run import read_with_translator
    from intent.observe.snapshot import SnapshotDirSource

    plan = fleet.cluster(cluster)
    docs = copy.deepcopy(SnapshotDirSource(str(SNAPSHOTS / snapshot)).read_cluster(plan))
    if edit:
        edit(docs)
    return read_with_translator("adopt", plan, docs)


def manifests(result) -> dict[str, object]:
    return {t.address: t for t in result.imports if t.address.startswith("kubernetes_manifest.")}


def test_existing_admission_objects_are_imported_with_the_documented_ids(fleet):
    found = manifests(adoption(fleet, "legacy-usw2"))

    assert {a: t.id for a, t in found.items()} == {
        "kubernetes_manifest.namespace_fleet-intent-system": "apiVersion=v1,kind=Namespace,name=fleet-intent-system",
        **{f"kubernetes_manifest.params_{n}": f"apiVersion=v1,kind=ConfigMap,namespace=fleet-intent-system,name={n}"
           for n in ("fleet-intent-psa-floor", "fleet-intent-cluster-admin-guard")},
        **{f"kubernetes_manifest.policy_{n}": f"apiVersion={V1},kind=ValidatingAdmissionPolicy,name={n}"
           for n in ("fleet-intent-psa-floor", "fleet-intent-cluster-admin-guard", "fleet-intent-aws-auth-guard")},
        **{f"kubernetes_manifest.binding_{n}": f"apiVersion={V1},kind=ValidatingAdmissionPolicyBinding,name={n}"
           for n in ("fleet-intent-psa-floor", "fleet-intent-cluster-admin-guard", "fleet-intent-aws-auth-guard")},
    }
    assert all(t.changes == () and not t.replaced for t in found.values())


def test_every_generated_admission_resource_is_imported_or_created(fleet):
    """The addresses are exactly the kubernetes_manifest resources of the generated root."""
    import re

    for plan in fleet.clusters:
        result = adoption(fleet, plan.name)
        text = (FIXTURES.parent / "out" / "clusters" / plan.name / "admission.tf").read_text(encoding="utf-8")
        generated = {f"kubernetes_manifest.{m}" for m in re.findall(r'^resource "kubernetes_manifest" "([^"]+)"', text, re.M)}
        adopted = set(manifests(result)) | {a for a in result.creates if a.startswith("kubernetes_manifest.")}
        assert adopted == generated, plan.name


def test_drifted_objects_list_what_the_first_apply_changes(fleet):
    drift = manifests(adoption(fleet, "prod-use1", "admission-params-drift"))
    assert drift["kubernetes_manifest.params_fleet-intent-psa-floor"].changes == ("data: ~payments.enforce=baseline->restricted",)
    guard = manifests(adoption(fleet, "prod-weu", "admission-params-drift"))["kubernetes_manifest.params_fleet-intent-cluster-admin-guard"]
    assert guard.changes == ("data: -User.mallory.acme.example.0badc0de",)
    weakened = manifests(adoption(fleet, "legacy-usw2", "admission-weakened"))
    assert weakened["kubernetes_manifest.policy_fleet-intent-aws-auth-guard"].changes == ("spec: failurePolicy set as generated",)
    binding = manifests(adoption(fleet, "prod-use1", "admission-weakened"))["kubernetes_manifest.binding_fleet-intent-psa-floor"]
    assert binding.changes == ("spec: validationActions set as generated",)


def test_missing_binding_is_created(fleet):
    result = adoption(fleet, "prod-euw1", "admission-missing")
    assert "kubernetes_manifest.binding_fleet-intent-cluster-admin-guard" in result.creates
    assert "kubernetes_manifest.binding_fleet-intent-cluster-admin-guard" not in manifests(result)


def test_cluster_not_serving_the_api_creates_policies_and_says_why(fleet):
    from intent.observe.kubelive import NOT_SERVED

    def before_1_30(docs):
        docs["kubernetes/validatingadmissionpolicies.json"] = dict(NOT_SERVED)
        docs["kubernetes/validatingadmissionpolicybindings.json"] = dict(NOT_SERVED)

    result = adoption(fleet, "prod-weu", edit=before_1_30)

    assert {a for a in result.creates if a.startswith("kubernetes_manifest.")} == {
        f"kubernetes_manifest.{kind}_{n}" for kind in ("policy", "binding")
        for n in ("fleet-intent-psa-floor", "fleet-intent-cluster-admin-guard")}
    assert set(manifests(result)) == {"kubernetes_manifest.namespace_fleet-intent-system",
                                      "kubernetes_manifest.params_fleet-intent-psa-floor",
                                      "kubernetes_manifest.params_fleet-intent-cluster-admin-guard"}
    assert any("does not serve admissionregistration.k8s.io/v1" in n for n in result.notes)


def test_intent_without_admission_adopts_no_admission_object():
    fleet = fleet_of(example_text(None))
    result = adoption(fleet, "prod-use1")
    assert not [a for a in (*manifests(result), *result.creates) if a.startswith("kubernetes_manifest.")]
