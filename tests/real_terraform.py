"""Fixtures and helpers of the tests that run the real `terraform` CLI with the real hashicorp/aws
provider against the EKS fake (tests/test_real_terraform_*.py), loaded by conftest.py as a plugin
so that their session fixtures (one `terraform init` per cluster) are shared by every module."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import EXAMPLE, NOW, ROOT
from fakes.eks_api import EksApi, RunningEksApi, serve_eks_api
from fakes.fleet import COMPLIANT, example_contexts, write_kubeconfig
from fakes.providers import AWS_KEY_ID, Data, kube_route, kube_status
from fakes.server import FakeServer
from terraform_support import AWS_IN_MIRROR, MIRROR, Terraform, endpoint_override, write_aws_part

from intent.load import load_intent

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


def fleet_intent_env(eks: RunningEksApi, kubeconfig: Path, home: Path) -> dict[str, str]:
    """The environment of a `fleet-intent … --live` process whose only way to EKS is the fake
    (the SDK's own AWS_ENDPOINT_URL_EKS) and to Kubernetes the kubeconfig given."""
    return {
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


def check_live(cluster: str, eks: RunningEksApi, kubeconfig: Path, home: Path) -> dict:
    """`fleet-intent check <example> --live --cluster <cluster> --format json` in a process of its
    own, whose only way to EKS is the fake (the SDK's own AWS_ENDPOINT_URL_EKS)."""
    env = fleet_intent_env(eks, kubeconfig, home)
    process = subprocess.run(
        [sys.executable, "-m", "intent", "check", str(EXAMPLE), "--live", "--cluster", cluster, "--format", "json",
         "--now", NOW_TEXT, "--timeout", "60", "--audit-log", str(home / "audit.log")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert process.returncode in (0, 1), process.stderr
    report = json.loads(process.stdout)
    # The plan revision the cluster runs (docs/check.md) is not this round trip's concern.
    assert [{k: v for k, v in c.items() if k != "revision"} for c in report["clusters"]] == [
        {"name": cluster, "provider": "eks", "status": "ok"}], report
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



def cluster_plan(cluster: str):
    from intent.plan import plan_fleet

    (plan,) = plan_fleet(INTENT, NOW, [cluster]).clusters
    return plan
