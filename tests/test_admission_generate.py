"""generate with an `admission:` block (SPEC §13): admission.tf and manifests/admission.yaml
hold the same objects, derived from the plan; without the block nothing changes."""

from __future__ import annotations

import fnmatch
import re

import hcl2
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from generate_support import example_data, parse, render, unquote
from intent.admission import (
    AWS_AUTH_GUARD,
    CLUSTER_ADMIN_GUARD,
    PSA_FLOOR,
    SYSTEM_NAMESPACE,
    ignore_pattern,
)

CLUSTERS = ("prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu")


def with_mode(mode: str | None) -> dict:
    data = example_data()
    data.pop("admission", None)
    if mode:
        data["admission"] = {"mode": mode}
    return data


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return render(parse(with_mode("deny")))


def documents(files: dict[str, str], cluster: str) -> list[dict]:
    return list(yaml.safe_load_all(files[f"clusters/{cluster}/manifests/admission.yaml"]))


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def plain(value):
    """python-hcl2's parse of an HCL value, with its string literals unquoted."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and value.startswith('"'):
        return unquote(value)
    return value


def test_terraform_and_yaml_hold_the_same_objects(files):
    for cluster in CLUSTERS:
        parsed = hcl2.loads(files[f"clusters/{cluster}/admission.tf"])
        manifests = [plain(body["manifest"]) for block in parsed["resource"] for body in block['"kubernetes_manifest"'].values()]
        assert manifests == documents(files, cluster), cluster


def test_bindings_follow_the_mode():
    expected = {"deny": ["Deny"], "warn": ["Warn", "Audit"], "audit": ["Audit"]}
    for mode, actions in expected.items():
        docs = documents(render(parse(with_mode(mode)), ["legacy-usw2"]), "legacy-usw2")
        bindings = by_kind(docs, "ValidatingAdmissionPolicyBinding")
        assert set(bindings) == {PSA_FLOOR, CLUSTER_ADMIN_GUARD, AWS_AUTH_GUARD}
        assert all(b["spec"]["validationActions"] == actions for b in bindings.values()), mode
        assert all(b["spec"]["policyName"] == name for name, b in bindings.items())


def test_aws_auth_guard_only_where_aws_auth_is_read(files):
    guarded = {c for c in CLUSTERS if AWS_AUTH_GUARD in by_kind(documents(files, c), "ValidatingAdmissionPolicy")}
    # stage-use1 is API_AND_CONFIG_MAP, legacy-usw2 CONFIG_MAP; prod-use1 is API (aws-auth ignored).
    assert guarded == {"stage-use1", "legacy-usw2"}


def allowed(files, cluster: str) -> set[str]:
    return set(by_kind(documents(files, cluster), "ConfigMap")[CLUSTER_ADMIN_GUARD]["data"].values())


def test_cluster_admin_allow_list_is_each_providers_binding_subjects(files):
    # Kubernetes' bootstrap binding's subject is always allowed (plugin/pkg/auth/authorizer/rbac/
    # bootstrappolicy/policy.go: ClusterRoleBinding cluster-admin -> Group system:masters).
    assert allowed(files, "legacy-usw2") == {"Group:system:masters", "Group:fleet-intent:cluster-admin"}
    assert allowed(files, "prod-euw1") == {"Group:system:masters", "Group:platform-admins@acme.example"}
    assert allowed(files, "dev-weu") == {"Group:system:masters", "Group:6f1c2d3e-0000-4000-8000-000000000001"}
    # Cluster-admin outside RBAC: EKS access policies (API modes) and AKS Azure RBAC.
    for cluster in ("prod-use1", "stage-use1", "prod-weu"):
        assert allowed(files, cluster) == {"Group:system:masters"}, cluster


def test_allow_list_matches_the_cluster_admin_binding_rbac_tf_writes(files):
    for cluster in ("legacy-usw2", "prod-euw1", "dev-weu"):
        rbac = hcl2.loads(files[f"clusters/{cluster}/rbac.tf"])
        binding = next(
            body for block in rbac["resource"] for kind, named in block.items()
            if kind == '"kubernetes_cluster_role_binding_v1"' for name, body in named.items() if name == '"cluster-admin"'
        )
        subjects = {f"{unquote(s['kind'])}:{unquote(s['name'])}" for s in binding["subject"]}
        assert allowed(files, cluster) - {"Group:system:masters"} == subjects, cluster
        assert binding["depends_on"] == ["${kubernetes_manifest.params_fleet-intent-cluster-admin-guard}"]


def floors(files, cluster: str) -> dict[str, str]:
    return by_kind(documents(files, cluster), "ConfigMap")[PSA_FLOOR]["data"]


def test_floors_are_the_effective_levels_with_unexpired_exceptions(files):
    # EXC-042 lowers payments-batch to enforce=privileged on prod-use1 and legacy-usw2 only.
    assert floors(files, "prod-use1")["payments-batch.enforce"] == "privileged"
    assert floors(files, "prod-euw1")["payments-batch.enforce"] == "baseline"
    data = floors(files, "prod-use1")
    assert {k: data[k] for k in ("enforce", "audit", "warn", "version")} == {
        "enforce": "baseline", "audit": "restricted", "warn": "restricted", "version": "latest"
    }
    assert data["payments.enforce"] == "restricted"
    assert floors(files, "legacy-usw2")["data-warehouse.version"] == "v1.30"
    # Only the namespaces the cluster hosts (prod-use1: payments and checkout).
    assert {k.split(".")[0] for k in data if "." in k} == {"payments", "payments-batch", "checkout"}


def test_an_expired_exception_no_longer_lowers_the_floor():
    data = with_mode("deny")
    data["exceptions"][0]["expires"] = "2026-01-01"
    docs = documents(render(parse(data), ["prod-use1"]), "prod-use1")
    assert by_kind(docs, "ConfigMap")[PSA_FLOOR]["data"]["payments-batch.enforce"] == "baseline"


def test_parameters_namespace_meets_the_baseline_floor(files):
    ns = by_kind(documents(files, "prod-euw1"), "Namespace")[SYSTEM_NAMESPACE]
    labels = ns["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"


def test_namespaces_wait_for_the_floors(files):
    module = hcl2.loads(files["clusters/prod-use1/namespaces.tf"])["module"][0]['"namespaces"']
    assert module["depends_on"] == ["${kubernetes_manifest.params_fleet-intent-psa-floor}"]


def test_without_admission_only_the_admission_files_and_their_ordering_differ(files):
    without = render(parse(with_mode(None)))
    assert not any("admission" in path for path in without)
    assert not any("kubernetes_manifest" in text for text in without.values())
    added = sorted(set(files) - set(without))
    assert added == sorted(f"clusters/{c}/{f}" for c in CLUSTERS for f in ("admission.tf", "manifests/admission.yaml"))
    depends_on = re.compile(r"\n(  # [^\n]*\n)?  depends_on = \[kubernetes_manifest[^\n]*\]\n")
    revision = re.compile(r"sha256:[0-9a-f]{16}")
    for path, text in without.items():
        if path.endswith(("namespaces.tf", "rbac.tf")):
            # Only the depends_on on the parameters, and the revision (which covers the mode).
            assert revision.sub("", depends_on.sub("", files[path])) == revision.sub("", text), path
        else:
            assert files[path] == text, path


def test_team_namespace_named_like_the_parameters_namespace_is_refused(run, tmp_path):
    from generate_support import intent_bytes

    data = with_mode("warn")
    data["teams"][0]["namespaces"][0]["name"] = SYSTEM_NAMESPACE
    data["teams"][0]["workloadIdentities"] = []
    data["exceptions"] = []
    path = tmp_path / "intent.yaml"
    path.write_bytes(intent_bytes(data))
    code, _, err = run("validate", path)
    assert code == 2
    assert "'fleet-intent-system' holds the admission policies' parameters" in err


@pytest.mark.parametrize("version", ["v1.030", "v1.01", "v2.1", "1.30"])
def test_psa_versions_are_spelled_as_pod_security_admission_reads_them(run, tmp_path, version):
    from generate_support import intent_bytes

    data = with_mode("warn")
    data["podSecurity"]["version"] = version
    path = tmp_path / "intent.yaml"
    path.write_bytes(intent_bytes(data))
    code, _, err = run("validate", path)
    assert code == 2 and "no leading zeros" in err


def test_unknown_mode_is_refused(run, tmp_path):
    from generate_support import intent_bytes

    data = with_mode("warn")
    data["admission"]["mode"] = "enforce"
    path = tmp_path / "intent.yaml"
    path.write_bytes(intent_bytes(data))
    code, _, err = run("validate", path)
    assert code == 2 and "admission.mode" in err


_PATTERN = st.text(alphabet="ab-z0*?[]!", min_size=1, max_size=8)
_NAME = st.text(alphabet="ab-z0", min_size=1, max_size=6)


@given(st.lists(_PATTERN, min_size=1, max_size=3), st.lists(_NAME, min_size=1, max_size=8))
def test_ignore_pattern_matches_exactly_what_fnmatch_matches(patterns, names):
    regex = re.compile(ignore_pattern(patterns))
    for name in names:
        assert bool(regex.search(name)) == any(fnmatch.fnmatchcase(name, p) for p in patterns), (patterns, name)
