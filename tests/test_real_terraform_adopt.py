"""`fleet-intent adopt` against a cluster that already holds access entries, proven with the real
`terraform` CLI and the real hashicorp/aws provider (the local mirror) against the stateful EKS
fake (tests/fakes/eks_api.py), as tests/test_real_terraform_eks.py does for a fresh cluster.

The cluster (prod-use1, authenticationMode API) is seeded as a team finds it before adopting:
the EC2_LINUX node entry EKS made, the cluster creator's entry with AmazonEKSClusterAdminPolicy
(EKS adds it by default), the platform admin's entry with its policy, the checkout deployer's
entry with AmazonEKSEditPolicy over a narrower scope than the intent's, and the payments-api pod
identity association. Then:
1. `terraform apply` of the AWS part without imports.tf fails with the real conflict
   (ResourceInUseException from CreateAccessEntry);
2. `fleet-intent adopt --live` writes imports.tf and reports the creator's entry (FI-AUTH-001,
   exit 1) and the deployer's scope as a replacement;
3. with the AWS import blocks, `terraform plan` imports exactly what exists and creates nothing
   that exists; `apply` succeeds; a second plan (imports.tf still there) is empty.
The import ids are the provider's own: `terraform plan` fails on an id the importer cannot parse
(internal/service/eks/access_entry.go, access_policy_association.go, pod_identity_association.go).
The Kubernetes half of the root needs hashicorp/kubernetes, which is not in the mirror: its
import blocks are checked against the generated root's addresses in tests/test_adopt_cli.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import hcl2
import pytest
from conftest import EXAMPLE, ROOT
from fakes.eks_api import RunningEksApi
from real_terraform import ACCESS_POLICY, NOW_TEXT, cluster_plan, eks_for, fleet_intent_env, plan_changes, working_copy

pytestmark = pytest.mark.real_terraform

CLUSTER = "prod-use1"
CREATOR = "arn:aws:iam::111122223333:role/cluster-creator"
ADMIN = "arn:aws:iam::111122223333:role/platform-admin"
DEPLOYER = "arn:aws:iam::111122223333:role/ci/checkout-deployer"


def seed_existing(eks: RunningEksApi) -> None:
    """What the cluster held before fleet-intent: see the module docstring."""
    api = eks.api
    for principal in (CREATOR, ADMIN, DEPLOYER):
        api.create_access_entry(CLUSTER, principal)
    api.associate(CLUSTER, CREATOR, ACCESS_POLICY + "AmazonEKSClusterAdminPolicy", {"type": "cluster"})
    api.associate(CLUSTER, ADMIN, ACCESS_POLICY + "AmazonEKSClusterAdminPolicy", {"type": "cluster"})
    api.associate(CLUSTER, DEPLOYER, ACCESS_POLICY + "AmazonEKSEditPolicy", {"type": "namespace", "namespaces": ["ci"]})
    api.create_pod_identity(CLUSTER, "payments", "payments-api", "arn:aws:iam::111122223333:role/payments-api")


def run_adopt(out: Path, eks: RunningEksApi, kubeconfig: Path, home: Path) -> subprocess.CompletedProcess:
    """`fleet-intent adopt <example> --live --cluster prod-use1 -o OUT --format json` in a process
    whose only way to EKS is the fake."""
    env = fleet_intent_env(eks, kubeconfig, home)
    return subprocess.run(
        [sys.executable, "-m", "intent", "adopt", str(EXAMPLE), "--live", "--cluster", CLUSTER, "-o", str(out),
         "--format", "json", "--now", NOW_TEXT, "--timeout", "60", "--audit-log", str(home / "audit.log")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )


def aws_imports(imports_tf: Path) -> str:
    """The import blocks of imports.tf that target AWS resources (the AWS part's share), kept
    exactly as adopt wrote them (python-hcl2 keeps a literal string's quotes and escapes)."""
    parsed = hcl2.loads(imports_tf.read_text(encoding="utf-8"))
    kept = []
    for block in parsed.get("import", []):
        address = block["to"].removeprefix("${").removesuffix("}")
        if address.startswith("aws_"):
            kept.append(f"import {{\n  to = {address}\n  id = {block['id']}\n}}\n")
    return "\n".join(kept)


def imported(terraform, work: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(address -> import id, address -> actions) of `terraform plan`, read from `show -json`."""
    terraform.run(work, "plan", "-input=false", "-no-color", "-out=tfplan")
    shown = json.loads(terraform.run(work, "show", "-json", "tfplan").stdout)
    imports = {rc["address"]: rc["change"]["importing"]["id"] for rc in shown.get("resource_changes", [])
               if rc["change"].get("importing")}
    actions = {rc["address"]: rc["change"]["actions"] for rc in shown.get("resource_changes", [])}
    return imports, actions


def test_adopt_imports_what_exists_then_apply_succeeds_and_second_plan_is_empty(
        terraform, generated, initialised, kubernetes_api, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(generated, out)
    work = working_copy(initialised, CLUSTER, tmp_path)
    plan = cluster_plan(CLUSTER)
    with eks_for(CLUSTER, work) as eks:
        seed_existing(eks)

        # 1. Without imports: the real conflict. Targeted at the one entry, so that the failed
        # apply creates nothing else and the later plan still has real creations to show.
        failed = terraform.run(work, "apply", "-auto-approve", "-input=false", "-no-color",
                               "-target=aws_eks_access_entry.role_111122223333_platform-admin", ok=(1,))
        assert "ResourceInUseException" in failed.stderr
        assert "already in use" in failed.stderr

        # 2. adopt reads the fake (EKS) and the Kubernetes fake, writes imports.tf.
        adopted = run_adopt(out, eks, kubernetes_api, tmp_path)
        assert adopted.returncode == 1, adopted.stderr  # the creator's cluster-admin entry is in the way
        summary = json.loads(adopted.stdout)
        in_the_way = {(f["rule"], f["object"]) for f in summary["findings"]}
        assert ("FI-AUTH-001", f"AccessEntry/{CREATOR}") in in_the_way
        (adoption,) = summary["adoption"]
        replaced = {t["address"] for t in adoption["import"] if t["replaced"]}
        assert replaced == {"aws_eks_access_policy_association.role_111122223333_ci_slash_checkout-deployer_edit"}

        (work / "imports.tf").write_text(aws_imports(out / "clusters" / CLUSTER / "imports.tf"), encoding="utf-8")

        # 3. The plan imports exactly what exists, with the ids the provider's importer accepts.
        imports, actions = imported(terraform, work)
        assert imports == {
            "aws_eks_access_entry.role_111122223333_platform-admin": f"{CLUSTER}:{ADMIN}",
            "aws_eks_access_policy_association.role_111122223333_platform-admin_cluster-admin":
                f"{CLUSTER}#{ADMIN}#{ACCESS_POLICY}AmazonEKSClusterAdminPolicy",
            "aws_eks_access_entry.role_111122223333_ci_slash_checkout-deployer": f"{CLUSTER}:{DEPLOYER}",
            "aws_eks_access_policy_association.role_111122223333_ci_slash_checkout-deployer_edit":
                f"{CLUSTER}#{DEPLOYER}#{ACCESS_POLICY}AmazonEKSEditPolicy",
            "aws_eks_pod_identity_association.payments_payments-api":
                f"{CLUSTER},{next(iter(eks.api.clusters[CLUSTER].associations))}",
        }
        # What Terraform creates outright; an imported resource is read, kept or replaced, never only created.
        created = {address for address, act in actions.items() if act == ["create"]}
        assert created and created.isdisjoint(imports)
        assert actions["aws_eks_access_policy_association.role_111122223333_ci_slash_checkout-deployer_edit"] == [
            "delete", "create"]  # the narrower scope is replaced, as adopt said
        assert actions["aws_eks_access_entry.role_111122223333_platform-admin"] == ["no-op"]
        assert set(adoption["create"]) == created

        terraform.run(work, "apply", "-auto-approve", "-input=false", "-no-color", "tfplan")
        state = eks.api.clusters[CLUSTER]
        assert plan_changes(terraform, work) == (0, {})

    standard = {arn for arn, entry in state.entries.items() if entry["type"] == "STANDARD"}
    assert standard == {g.principal for g in plan.grants} | {CREATOR}  # adopt never deletes what it does not own
    assert state.policies[DEPLOYER][ACCESS_POLICY + "AmazonEKSEditPolicy"]["accessScope"] == {
        "type": "namespace", "namespaces": ["checkout"]}
    assert len(state.associations) == len(plan.workload_identities)
