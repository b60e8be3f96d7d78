"""Every document of every manifests/admission.yaml validates against the Kubernetes OpenAPI
schemas (as JSON Schema) that the `kubernetes-validate` package ships, in its strict variant
(unknown fields refused), for Kubernetes 1.30 (ValidatingAdmissionPolicy's first GA release)
and the newest version the package carries.

API (kubernetes_validate/utils.py, read in the installed package, and the project's README at
pypi.org/project/kubernetes-validate): `validate(data, desired_version, strict=False)` returns
the version whose schemas it used and raises `ValidationError` (a jsonschema.ValidationError)
on a mismatch, `SchemaNotFoundError` for a kind it has no schema of; `latest_version()` names
the newest version it ships.

The OpenAPI schemas do not carry the API server's own field validation, so the ConfigMap keys
are also checked against IsConfigMapKey (k8s.io/apimachinery pkg/util/validation/
validation.go: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`, no `..` prefix).
"""

from __future__ import annotations

import functools
import re

import kubernetes_validate
import pytest
import yaml

from admission_cel import committed_documents, generated_documents, named
from conftest import ROOT
from generate_support import example_data, parse, render
from intent.admission import PSA_FLOOR

CLUSTERS = sorted(p.parent.parent.name for p in (ROOT / "out" / "clusters").glob("*/manifests/admission.yaml"))
# "1.37.0" -> "1.37": the package ships one schema set per minor version.
VERSIONS = ("1.30", ".".join(kubernetes_validate.latest_version().split(".")[:2]))
CONFIG_MAP_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")


@functools.cache
def deny_fleet() -> dict[str, list[dict]]:
    """manifests/admission.yaml of every cluster, freshly generated from the example in deny mode."""
    data = example_data()
    data["admission"] = {"mode": "deny"}
    files = render(parse(data))
    return {
        path.split("/")[1]: list(yaml.safe_load_all(text))
        for path, text in files.items()
        if path.endswith("/manifests/admission.yaml")
    }


def _all_documents() -> list[tuple[str, dict]]:
    out = [(f"out/clusters/{c}", doc) for c in CLUSTERS for doc in committed_documents(c)]
    out += [(f"deny/{c}", doc) for c, docs in sorted(deny_fleet().items()) for doc in docs]
    return out


def test_every_cluster_has_admission_manifests():
    assert tuple(map(int, VERSIONS[-1].split("."))) >= (1, 30)
    assert CLUSTERS == ["dev-weu", "legacy-usw2", "prod-euw1", "prod-use1", "prod-weu", "stage-use1"]
    assert sorted(deny_fleet()) == CLUSTERS
    assert all(b["spec"]["validationActions"] == ["Deny"] for docs in deny_fleet().values() for b in docs if b["kind"].endswith("Binding"))


@pytest.mark.parametrize("version", VERSIONS)
def test_every_document_validates_strictly(version):
    checked: dict[str, int] = {}
    for where, doc in _all_documents():
        try:
            used = kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{where}: {doc['kind']} {doc['metadata']['name']}: {error.message} at {list(error.path)}")
        assert used == version
        checked[doc["kind"]] = checked.get(doc["kind"], 0) + 1
    assert set(checked) == {"Namespace", "ConfigMap", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
    assert checked["ValidatingAdmissionPolicy"] == 2 * (3 + 3 + 2 * 4)  # two fleets; aws-auth guard on 2 EKS clusters


def test_the_validator_refuses_what_the_api_server_would():
    """The strict schemas have teeth: a misspelled field, a wrong type, a missing required field."""
    docs = committed_documents("legacy-usw2")
    binding = named(docs, "ValidatingAdmissionPolicyBinding", PSA_FLOOR)
    misspelled = {**binding, "spec": {**binding["spec"], "validationAction": ["Deny"]}}
    policy = named(docs, "ValidatingAdmissionPolicy", PSA_FLOOR)
    wrong_type = {**policy, "spec": {**policy["spec"], "validations": {"expression": "true"}}}
    no_expression = {**policy, "spec": {**policy["spec"], "validations": [{"message": "m"}]}}
    for bad in (misspelled, wrong_type, no_expression):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(bad, VERSIONS[-1], strict=True)
    kubernetes_validate.validate(binding, VERSIONS[-1], strict=True)


def test_config_map_keys_are_valid_keys():
    for where, doc in _all_documents():
        if doc["kind"] != "ConfigMap":
            continue
        for key in doc["data"]:
            assert CONFIG_MAP_KEY.fullmatch(key) and key not in (".", "..") and not key.startswith(".."), (where, key)


def test_a_fleet_with_other_subjects_and_namespaces_validates_too():
    data = example_data()
    data["admission"] = {"mode": "audit"}
    data["ignoreNamespaces"] = ["kube-system", "tools-[a-c]*", "x?"]
    docs = generated_documents(data, "legacy-usw2")
    for doc in docs:
        kubernetes_validate.validate(doc, VERSIONS[0], strict=True)
    assert named(docs, "ConfigMap", PSA_FLOOR)["data"]["ignore"] == "^(kube-system|tools-[a-c].*|x.)$"
