"""`fleet-intent check --snapshot`: the compliant snapshot and each drifted variant, end to end."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import EXAMPLE, FIXTURES, invoke_cli

SNAPSHOTS = FIXTURES / "snapshots"
ORG = "platform-security@acme.example"
PAYMENTS = "payments-oncall@acme.example"
DATA = "data-platform@acme.example"


def run(capsys, *args: str) -> tuple[int, str, str]:
    return invoke_cli(capsys, *args)


def check_json(capsys, snapshot, *extra: str, now: str = "2026-11-26") -> tuple[int, dict]:
    code, out, err = run(capsys, "check", str(EXAMPLE), "--snapshot", str(snapshot), "--format", "json", "--now", now, *extra)
    return code, json.loads(out)


def keyset(report: dict) -> set[tuple]:
    return {(f["rule"], f["severity"], f["cluster"], f["object"], f["team"], f["owner"]) for f in report["findings"]}


def test_check_compliant_snapshot_no_findings_exit_0(capsys):
    code, report = check_json(capsys, SNAPSHOTS / "compliant")
    assert report["findings"] == []
    assert {c["name"]: c["status"] for c in report["clusters"]} == {
        "prod-use1": "ok", "stage-use1": "ok", "legacy-usw2": "ok", "prod-euw1": "ok", "prod-weu": "ok", "dev-weu": "ok",
    }
    assert code == 0


VARIANTS = {
    "aws-auth-system-masters": {
        ("FI-AUTH-001", "critical", "legacy-usw2", "aws-auth/mapRoles/arn:aws:iam::111122223333:role/break-glass", None, ORG),
    },
    "namespace-privileged": {
        ("FI-PSA-002", "high", "prod-use1", "Namespace/payments", "payments", PAYMENTS),
    },
    "access-entry-cluster-admin": {
        ("FI-AUTH-001", "critical", "prod-use1", "AccessEntry/arn:aws:iam::111122223333:role/contractor", None, ORG),
    },
    "aks-local-accounts": {
        ("FI-AUTH-005", "high", "prod-weu", "Cluster/prod-weu/disableLocalAccounts", None, ORG),
    },
    "namespace-missing": {
        ("FI-NS-001", "high", "prod-euw1", "Namespace/data-warehouse", "data", DATA),
        # Deleting the namespace deleted its RoleBinding too: the grant is missing there.
        ("FI-AUTH-002", "medium", "prod-euw1", "RoleBinding/data-warehouse/group:data-engineers@acme.example", "data", DATA),
    },
    "gke-container-admin": {
        ("FI-AUTH-001", "critical", "prod-euw1", "ProjectIAM/acme-prod/roles/container.admin/user:mallory@acme.example", None, ORG),
    },
    "gke-container-developer": {
        ("FI-AUTH-003", "high", "prod-euw1", "ProjectIAM/acme-prod/roles/container.developer/group:payments-devs@acme.example",
         "payments", PAYMENTS),
    },
    "wi-annotation-elsewhere": {
        ("FI-WI-003", "high", "prod-euw1", "ServiceAccount/payments/payments-api", "payments", PAYMENTS),
    },
    "binding-broader": {
        ("FI-AUTH-004", "high", "prod-euw1", "RoleBinding/payments/fleet-intent-edit-payments-devs", "payments", PAYMENTS),
    },
    "stage-aws-auth-mapping": {
        ("FI-AUTH-003", "high", "stage-use1", "aws-auth/mapRoles/arn:aws:iam::111122223333:role/payments-dev", "payments", PAYMENTS),
    },
    "admission-missing": {
        ("FI-ADM-001", "high", "prod-euw1", "ValidatingAdmissionPolicyBinding/fleet-intent-cluster-admin-guard", None, ORG),
    },
    "admission-weakened": {
        ("FI-ADM-001", "high", "prod-use1", "ValidatingAdmissionPolicyBinding/fleet-intent-psa-floor", None, ORG),
        ("FI-ADM-001", "high", "legacy-usw2", "ValidatingAdmissionPolicy/fleet-intent-aws-auth-guard", None, ORG),
    },
    "admission-params-drift": {
        ("FI-ADM-002", "medium", "prod-use1", "ConfigMap/fleet-intent-system/fleet-intent-psa-floor", None, ORG),
        ("FI-ADM-002", "medium", "prod-weu", "ConfigMap/fleet-intent-system/fleet-intent-cluster-admin-guard", None, ORG),
    },
}
# Variants whose findings are all below the default --fail-on (high): exit 0.
BELOW_THRESHOLD = {"admission-params-drift"}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_check_drifted_variant_exact_findings_exit_1(capsys, variant):
    code, report = check_json(capsys, SNAPSHOTS / variant)
    assert keyset(report) == VARIANTS[variant]
    assert all(c["status"] == "ok" for c in report["clusters"])
    assert code == (0 if variant in BELOW_THRESHOLD else 1)


def test_check_admission_findings_say_what_differs(capsys):
    _, weakened = check_json(capsys, SNAPSHOTS / "admission-weakened")
    by_object = {(f["cluster"], f["object"]): f for f in weakened["findings"]}
    binding = by_object[("prod-use1", "ValidatingAdmissionPolicyBinding/fleet-intent-psa-floor")]
    assert (binding["expected"], binding["actual"]) == ("validationActions=[Warn, Audit]", "validationActions=[Audit]")
    assert binding["namespace"] is None and binding["provider"] == "eks"
    policy = by_object[("legacy-usw2", "ValidatingAdmissionPolicy/fleet-intent-aws-auth-guard")]
    assert (policy["expected"], policy["actual"]) == ("spec.failurePolicy=Fail", "spec.failurePolicy=Ignore")

    code, drift = check_json(capsys, SNAPSHOTS / "admission-params-drift", "--fail-on", "medium")
    by_cluster = {f["cluster"]: f for f in drift["findings"]}
    floor = by_cluster["prod-use1"]
    assert (floor["expected"], floor["actual"]) == ("payments.enforce=restricted", "payments.enforce=baseline")
    assert "floor lowered" in floor["message"]
    guard = by_cluster["prod-weu"]
    assert guard["actual"] == "extra allowed subject(s) User:mallory@acme.example"
    assert code == 1


def test_check_narrower_grant_is_medium_exit_0_at_default_threshold(capsys):
    code, report = check_json(capsys, SNAPSHOTS / "access-narrower")
    assert keyset(report) == {
        ("FI-AUTH-004", "medium", "prod-use1", "AccessEntry/arn:aws:iam::111122223333:role/payments-dev", "payments", PAYMENTS),
    }
    assert code == 0
    code, _ = check_json(capsys, SNAPSHOTS / "access-narrower", "--fail-on", "medium")
    assert code == 1


def test_check_expired_exception_reported_and_no_longer_excuses(capsys):
    code, report = check_json(capsys, SNAPSHOTS / "compliant", now="2027-07-01")
    assert keyset(report) == {
        ("FI-EXC-001", "medium", "prod-use1", "Exception/EXC-042", "payments", PAYMENTS),
        ("FI-EXC-001", "medium", "legacy-usw2", "Exception/EXC-042", "payments", PAYMENTS),
        ("FI-PSA-002", "high", "prod-use1", "Namespace/payments-batch", "payments", PAYMENTS),
        ("FI-PSA-002", "high", "legacy-usw2", "Namespace/payments-batch", "payments", PAYMENTS),
        # The PSA floor's parameters still carry the exception until they are regenerated.
        ("FI-ADM-002", "medium", "prod-use1", "ConfigMap/fleet-intent-system/fleet-intent-psa-floor", None, ORG),
        ("FI-ADM-002", "medium", "legacy-usw2", "ConfigMap/fleet-intent-system/fleet-intent-psa-floor", None, ORG),
    }
    assert code == 1


def test_check_unreadable_clusters_reported_others_still_checked(capsys):
    code, report = check_json(capsys, SNAPSHOTS / "unreadable")
    assert keyset(report) == {
        ("FI-COLLECT-001", "high", "prod-weu", "Cluster/prod-weu", None, ORG),
        ("FI-COLLECT-001", "high", "dev-weu", "Cluster/dev-weu", None, ORG),
    }
    status = {c["name"]: c["status"] for c in report["clusters"]}
    assert status == {"prod-use1": "ok", "stage-use1": "ok", "legacy-usw2": "ok", "prod-euw1": "ok",
                      "prod-weu": "unreadable", "dev-weu": "unreadable"}
    causes = {f["cluster"]: f["actual"] for f in report["findings"]}
    assert "cluster.json" in causes["dev-weu"] and "not valid JSON" in causes["dev-weu"]
    assert "prod-weu" in causes["prod-weu"]
    assert code == 1


def test_check_missing_required_file_names_it(capsys, tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(SNAPSHOTS / "compliant", snap)
    (snap / "prod-use1" / "aws" / "access-entries.json").unlink()
    code, report = check_json(capsys, snap, "--cluster", "prod-use1")
    [finding] = report["findings"]
    assert finding["rule"] == "FI-COLLECT-001" and "access-entries.json" in finding["actual"]
    assert code == 1


def test_check_malformed_document_is_collect_error_not_traceback(capsys, tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(SNAPSHOTS / "compliant", snap)
    (snap / "legacy-usw2" / "kubernetes" / "aws-auth.json").write_text(
        json.dumps({"kind": "ConfigMap", "data": {"mapRoles": "- rolearn: [unclosed"}})
    )
    (snap / "prod-euw1" / "kubernetes" / "namespaces.json").write_text(json.dumps({"items": [{"metadata": {}}]}))
    code, report = check_json(capsys, snap)
    causes = {f["cluster"]: f["actual"] for f in report["findings"]}
    assert set(causes) == {"legacy-usw2", "prod-euw1"}
    assert causes["legacy-usw2"].startswith("kubernetes/aws-auth.json: data.mapRoles is not valid YAML")
    assert causes["prod-euw1"] == "kubernetes/namespaces.json: items[0].metadata.name is not a non-empty string"
    assert code == 1


def test_check_compliant_admission_documents_in_sync_with_generator(tmp_path):
    """make_admission.py rewrites exactly the committed admission documents of compliant/."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_admission", SNAPSHOTS / "make_admission.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    target = tmp_path / "compliant"
    shutil.copytree(SNAPSHOTS / "compliant", target)
    module.main(str(target))
    for cluster in sorted(p.name for p in target.iterdir()):
        for rel in (*module.DOCUMENTS.values(), module.NAMESPACES):
            fresh = (target / cluster / rel).read_bytes()
            assert (SNAPSHOTS / "compliant" / cluster / rel).read_bytes() == fresh, f"{cluster}/{rel}"


def test_check_variants_are_in_sync_with_generator(tmp_path):
    """make_variants.py regenerates exactly the committed variant directories."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_variants", SNAPSHOTS / "make_variants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # Every generated variant is committed and has its expected findings asserted here.
    assert {p.name for p in SNAPSHOTS.iterdir() if p.is_dir()} == set(module.VARIANTS) | {"compliant"}
    assert set(module.VARIANTS) == set(VARIANTS) | {"access-narrower", "unreadable"}
    for name, change in module.VARIANTS.items():
        target = tmp_path / name
        shutil.copytree(SNAPSHOTS / "compliant", target)
        change(str(target))
        committed = sorted(p.relative_to(SNAPSHOTS / name) for p in (SNAPSHOTS / name).rglob("*") if p.is_file())
        fresh = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
        assert committed == fresh, name
        for rel in fresh:
            assert (SNAPSHOTS / name / rel).read_bytes() == (target / rel).read_bytes(), f"{name}/{rel}"
