"""The AWS part of the generated EKS roots, run by the real `terraform` CLI with the real
hashicorp/aws provider (the local mirror, no network) against a stateful HTTP fake of EKS and
STS (tests/fakes/eks_api.py), and read back by `fleet-intent check --live` from the same fake.

What is real: the `fleet-intent generate` output of fixtures/example.yaml, Terraform itself,
the hashicorp/aws provider binary (its schema validation, its planning, its API calls and the
Go SDK's request signing and response parsing), and fleet-intent's live reader (boto3).
What is faked: the EKS and STS endpoints (HTTP level, shapes from botocore's
eks/2017-11-01/service-2.json), and, for `check --live`, the Kubernetes API, which serves the
compliant snapshot of the example (tests/fakes/providers.py `kube_route`): the Kubernetes half
of a root needs the hashicorp/kubernetes provider, which is not in the mirror, so it is not
applied here (see docs/terraform-real.md).

Skipped, with the reason, only when `terraform` is not on PATH or the mirror holds no
hashicorp/aws; never because of CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import hcl2
import pytest
from real_terraform import (
    ACCESS_POLICY,
    EKS_CLUSTERS,
    check_live,
    cluster_plan,
    eks_for,
    plan_changes,
    rules,
    working_copy,
)
from terraform_support import blocks, owner, unquote

pytestmark = pytest.mark.real_terraform

# --- validate every EKS root ---------------------------------------------------------------------

def aws_blocks(directory: Path) -> set[tuple[str, str]]:
    """(kind, "type.name" or provider name) of every AWS block in the .tf files of `directory`."""
    found = set()
    for path in directory.glob("*.tf"):
        for kind, label, item in blocks(hcl2.loads(path.read_text(encoding="utf-8"))):
            if kind in ("resource", "data", "provider") and owner(kind, label) == "aws":
                names = [unquote(n) for n in item[label] if not n.startswith("__")] if kind != "provider" else [""]
                found |= {(kind, f"{unquote(label)}.{n}".rstrip(".")) for n in names}
    return found


@pytest.mark.parametrize("cluster", sorted(EKS_CLUSTERS))
def test_aws_part_of_generated_eks_root_validates_with_real_provider(terraform, generated, initialised, cluster):
    """`terraform init` + `terraform validate` with hashicorp/aws from the mirror accept the AWS
    part of every generated EKS root (API, API_AND_CONFIG_MAP, CONFIG_MAP), and that part holds
    every AWS block the generated root has, under the generated version constraints."""
    part = initialised(cluster)
    root = generated / "clusters" / cluster

    result = json.loads(terraform.run(part, "validate", "-json", "-no-color").stdout)

    assert result["valid"] is True and result["error_count"] == 0, result
    assert aws_blocks(part) == aws_blocks(root)
    assert ("provider", "aws") in aws_blocks(part)
    generated_terraform = next(hcl2.loads(p.read_text())["terraform"][0] for p in root.glob("*.tf")
                               if "terraform" in hcl2.loads(p.read_text()))
    kept = hcl2.loads((part / "versions.tf").read_text())["terraform"][0]
    assert kept["required_version"] == generated_terraform["required_version"]
    assert kept["required_providers"][0]["aws"] == generated_terraform["required_providers"][0]["aws"]
    lock = (part / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/hashicorp/aws"' in lock and "hashicorp/kubernetes" not in lock


# --- round trips: apply, check --live, plan ----------------------------------------------------------

def test_api_root_round_trip_then_drift_seen_by_check_and_plan(terraform, initialised, kubernetes_api, tmp_path):
    """prod-use1 (authenticationMode API): `terraform apply` of the generated access entries,
    policy associations and pod identity associations; `check --live` over the same fake then
    finds nothing (the Kubernetes side is the compliant snapshot), and a second plan is empty.

    Then three changes behind Terraform's back, made in the fake as the AWS CLI would:
    the checkout deployer's edit policy widened from namespace `checkout` to the whole cluster,
    AmazonEKSClusterAdminPolicy associated to the payments team's role, and the payments-api
    pod identity association deleted. `check` reports FI-AUTH-004, FI-AUTH-001 and FI-WI-001
    (SPEC §8). `terraform plan` exits 2 and plans a replacement of the widened association
    (access_scope is ForceNew and read back from ListAssociatedAccessPolicies) and a new pod
    identity association (read gets ResourceNotFoundException, the resource leaves state) — but
    it does not see the extra cluster-admin association at all: the provider reads only the
    associations it manages, by their policy ARN (internal/service/eks/access_policy_association.go,
    findAccessPolicyAssociationByThreePartKey). Only `check` catches that one.
    """
    cluster = "prod-use1"
    work = working_copy(initialised, cluster, tmp_path)
    with eks_for(cluster, work) as eks:
        terraform.run(work, "apply", "-auto-approve", "-input=false", "-no-color")

        state = eks.api.clusters[cluster]
        standard = {arn for arn, entry in state.entries.items() if entry["type"] == "STANDARD"}
        assert standard == {grant.principal for grant in cluster_plan(cluster).grants}
        assert {(a["namespace"], a["serviceAccount"], a["roleArn"]) for a in state.associations.values()} == {
            (wi.namespace, wi.service_account, wi.identity) for wi in cluster_plan(cluster).workload_identities}

        assert rules(check_live(cluster, eks, kubernetes_api, tmp_path)) == []
        assert plan_changes(terraform, work) == (0, {})

        deployer = "arn:aws:iam::111122223333:role/ci/checkout-deployer"
        payments = "arn:aws:iam::111122223333:role/payments-dev"
        eks.api.associate(cluster, deployer, ACCESS_POLICY + "AmazonEKSEditPolicy", {"type": "cluster"})
        eks.api.associate(cluster, payments, ACCESS_POLICY + "AmazonEKSClusterAdminPolicy", {"type": "cluster"})
        eks.api.delete_pod_identity(cluster, "payments", "payments-api")

        report = check_live(cluster, eks, kubernetes_api, tmp_path)
        code, changes = plan_changes(terraform, work)

    found = {(f["rule"], f["severity"]) for f in report["findings"]}
    assert ("FI-AUTH-004", "high") in found  # broader than intended
    assert ("FI-AUTH-001", "critical") in found
    assert ("FI-WI-001", "medium") in found
    assert {f["rule"] for f in report["findings"]} == {"FI-AUTH-001", "FI-AUTH-004", "FI-WI-001"}
    by_rule = {f["rule"]: f for f in report["findings"]}
    assert deployer in json.dumps(by_rule["FI-AUTH-004"]) and payments in json.dumps(by_rule["FI-AUTH-001"])
    assert "payments-api" in json.dumps(by_rule["FI-WI-001"])

    assert code == 2
    assert changes == {
        "aws_eks_access_policy_association.role_111122223333_ci_slash_checkout-deployer_edit": ["delete", "create"],
        "aws_eks_pod_identity_association.payments_payments-api": ["create"],
    }


def test_api_and_config_map_root_applies_and_check_finds_no_drift(terraform, initialised, kubernetes_api, tmp_path):
    """stage-use1 (API_AND_CONFIG_MAP): the generated root applies against the fake and
    `check --live` (EKS from the fake Terraform wrote, Kubernetes from the compliant snapshot,
    with its aws-auth holding node roles only) finds nothing."""
    cluster = "stage-use1"
    work = working_copy(initialised, cluster, tmp_path)
    with eks_for(cluster, work) as eks:
        terraform.run(work, "apply", "-auto-approve", "-input=false", "-no-color")
        report = check_live(cluster, eks, kubernetes_api, tmp_path)
        state = eks.api.clusters[cluster]

    assert rules(report) == []
    assert {arn for arn, entry in state.entries.items() if entry["type"] == "STANDARD"} == {
        grant.principal for grant in cluster_plan(cluster).grants}


def test_generated_allowed_account_ids_refuses_another_account(terraform, initialised, tmp_path):
    """The generated `allowed_account_ids` is really enforced: when STS says the credentials
    belong to another account, `terraform plan` stops before any EKS call."""
    cluster = "prod-use1"
    work = working_copy(initialised, cluster, tmp_path)
    with eks_for(cluster, work, account="999999999999") as eks:
        process = terraform.run(work, "plan", "-input=false", "-no-color", ok=(1,))
        calls = list(eks.api.calls)

    assert "999999999999" in process.stderr and "not allowed" in process.stderr
    assert "GetCallerIdentity" in calls
    assert [c for c in calls if c != "GetCallerIdentity"] == []
