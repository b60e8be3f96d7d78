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
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hcl2
import pytest
from conftest import EXAMPLE, NOW, ROOT
from fakes.eks_api import EksApi, RunningEksApi, serve_eks_api
from fakes.fleet import COMPLIANT, example_contexts, write_kubeconfig
from fakes.providers import AWS_KEY_ID, Data, kube_route, kube_status
from fakes.server import FakeServer
from terraform_support import AWS_IN_MIRROR, MIRROR, Terraform, endpoint_override, owner, blocks, unquote, write_aws_part

from intent.load import load_intent

pytestmark = pytest.mark.real_terraform

INTENT = load_intent(str(EXAMPLE), NOW).intent
EKS_CLUSTERS = {c.name: c for c in INTENT.clusters if c.provider == "eks"}
ACCOUNT = {name: c.account_id for name, c in EKS_CLUSTERS.items()}
NOW_TEXT = NOW.date().isoformat()
ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/"


# --- fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def terraform(tmp_path_factory) -> Terraform:
    """The real terraform CLI, installing providers from the local mirror only."""
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("real_terraform: the terraform CLI is not on PATH")
    if not any(AWS_IN_MIRROR.glob("*/*/terraform-provider-aws_*")):
        pytest.skip(f"real_terraform: no hashicorp/aws provider in the local mirror {MIRROR} "
                    "(set FLEET_INTENT_TF_PLUGIN_DIR to another mirror)")
    return Terraform(binary, tmp_path_factory.mktemp("terraform-home"))


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """`fleet-intent generate fixtures/example.yaml` run as a user runs it, into a fresh directory."""
    out = tmp_path_factory.mktemp("generated") / "out"
    process = subprocess.run([sys.executable, "-m", "intent", "generate", str(EXAMPLE), "-o", str(out),
                              "--now", NOW_TEXT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    return out


@pytest.fixture(scope="session")
def initialised(terraform, generated, tmp_path_factory):
    """`initialised(cluster)`: a directory holding the AWS part of that cluster's generated root
    after one `terraform init` (cached for the session; callers get their own copy)."""
    done: dict[str, Path] = {}

    def get(cluster: str) -> Path:
        if cluster not in done:
            part = tmp_path_factory.mktemp(f"aws-part-{cluster}") / cluster
            write_aws_part(generated / "clusters" / cluster, part)
            terraform.run(part, "init", "-backend=false", "-input=false", "-no-color")
            done[cluster] = part
        return done[cluster]

    return get


def working_copy(initialised, cluster: str, tmp_path: Path) -> Path:
    """A fresh copy of the initialised AWS part (the provider stays a link into the mirror)."""
    work = tmp_path / cluster
    shutil.copytree(initialised(cluster), work, symlinks=True)
    return work


@contextmanager
def eks_for(cluster: str, work: Path, account: str | None = None) -> Iterator[RunningEksApi]:
    """The stateful EKS/STS fake holding `cluster` as it is before the root is applied (its
    description and the node role entry EKS makes itself, from the compliant snapshot), with
    the root's provider pointed at it by an override file."""
    api = EksApi(account or ACCOUNT[cluster])
    api.seed_from_snapshot(COMPLIANT, cluster)
    with serve_eks_api(api) as running:
        (work / "fleet_intent_test_override.tf").write_text(endpoint_override(running.eks.url, running.sts.url),
                                                              encoding="utf-8")
        yield running


@pytest.fixture
def kubernetes_api(tmp_path) -> Iterator[Path]:
    """A Kubernetes API fake serving the compliant snapshot of every cluster; yields its kubeconfig."""
    server = FakeServer("kubernetes", kube_route(Data(COMPLIANT)), kube_status).start()
    kubeconfig = tmp_path / "kubeconfig"
    write_kubeconfig(kubeconfig, example_contexts(INTENT), server.url)
    try:
        yield kubeconfig
    finally:
        server.stop()
    assert not server.unexpected, "\n".join(server.unexpected)


def check_live(cluster: str, eks: RunningEksApi, kubeconfig: Path, home: Path) -> dict:
    """`fleet-intent check <example> --live --cluster <cluster> --format json` in a process of its
    own, whose only way to EKS is the fake (the SDK's own AWS_ENDPOINT_URL_EKS)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "AWS_ENDPOINT_URL_EKS": eks.eks.url,
        "AWS_ACCESS_KEY_ID": AWS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": "fake-secret",
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    process = subprocess.run(
        [sys.executable, "-m", "intent", "check", str(EXAMPLE), "--live", "--cluster", cluster, "--format", "json",
         "--now", NOW_TEXT, "--timeout", "60", "--audit-log", str(home / "audit.log")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert process.returncode in (0, 1), process.stderr
    report = json.loads(process.stdout)
    assert report["clusters"] == [{"name": cluster, "provider": "eks", "status": "ok"}], report
    return report


def rules(report: dict) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["object"]) for f in report["findings"])


def plan_changes(terraform: Terraform, work: Path) -> tuple[int, dict[str, list[str]]]:
    """`terraform plan -detailed-exitcode` and, through `terraform show -json` of the saved plan,
    the actions planned per resource address (no-op resources left out; exit 0 plans nothing)."""
    plan = terraform.run(work, "plan", "-detailed-exitcode", "-input=false", "-no-color", "-out=tfplan", ok=(0, 2))
    if plan.returncode == 0:
        return 0, {}
    shown = json.loads(terraform.run(work, "show", "-json", "tfplan").stdout)
    changes = {rc["address"]: rc["change"]["actions"] for rc in shown.get("resource_changes", [])
               if rc["change"]["actions"] != ["no-op"]}
    return plan.returncode, changes


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
        assert standard == {grant.principal for grant in _plan(cluster).grants}
        assert {(a["namespace"], a["serviceAccount"], a["roleArn"]) for a in state.associations.values()} == {
            (wi.namespace, wi.service_account, wi.identity) for wi in _plan(cluster).workload_identities}

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
        grant.principal for grant in _plan(cluster).grants}


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


def _plan(cluster: str):
    from intent.plan import plan_fleet

    (plan,) = plan_fleet(INTENT, NOW, [cluster]).clusters
    return plan
