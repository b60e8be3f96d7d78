"""`fleet-intent rollout` over a small EKS fleet, with the real `terraform` CLI and the real
hashicorp/aws provider (the local mirror) against the stateful EKS fake, each wave verified by
the check engine reading the same fake (`--verify live`).

The fleet is the example's three EKS clusters (an intent with only those: rollout applies
every cluster of the intent). Each root is the AWS part of its generated root
(tests/terraform_support.py `write_aws_part`), beside the generated MANIFEST.json: what is
real is Terraform's init and apply of the access entries, policy associations and pod identity
associations, the provider's API calls, rollout's scheduling, journal and resume, and the
live check. What is not: the Kubernetes half of each root (namespaces, RBAC), which needs the
hashicorp/kubernetes provider, not in the mirror; the verification reads Kubernetes from the
fake serving the compliant snapshot (tests/fakes/providers.py `kube_route`).

Waves `canary:stage-use1;rest`. legacy-usw2 is not in the EKS fake at first, so its apply
fails (the data source's DescribeCluster answers ResourceNotFoundException): wave 2 halts,
exit 1, prod-use1 applied beside it. Once the cluster exists, `--resume` applies legacy-usw2
only and finishes (exit 0).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, ROOT
from fakes.eks_api import EksApi, serve_eks_api
from fakes.fleet import COMPLIANT
from real_terraform import NOW_TEXT, cluster_plan, fleet_intent_env
from terraform_support import endpoint_override, write_aws_part

pytestmark = pytest.mark.real_terraform

FLEET = ("prod-use1", "stage-use1", "legacy-usw2")
WAVES = "canary:stage-use1;rest"


def eks_only_intent(directory: Path) -> Path:
    """The example intent with only its EKS clusters."""
    document = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    document["clusters"] = [c for c in document["clusters"] if c["name"] in FLEET]
    path = directory / "fleet.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def aws_fleet(intent: Path, out: Path, eks_url: str, sts_url: str) -> None:
    """`generate` the intent into `out`, then keep only the AWS part of each root, pointed at the fake."""
    process = subprocess.run([sys.executable, "-m", "intent", "generate", str(intent), "-o", str(out), "--now", NOW_TEXT],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert process.returncode == 0, process.stderr
    for cluster in FLEET:
        root = out / "clusters" / cluster
        part = out / "aws-parts" / cluster
        write_aws_part(root, part)
        for path in root.rglob("*"):
            if path.is_file():
                path.unlink()
        for path in part.iterdir():
            path.rename(root / path.name)
        (root / "fleet_intent_test_override.tf").write_text(endpoint_override(eks_url, sts_url), encoding="utf-8")


def rollout(intent: Path, out: Path, journal: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intent", "rollout", str(intent), "-o", str(out), "--waves", WAVES, "--verify", "live",
         "--journal", str(journal), "--concurrency", "2", "--now", NOW_TEXT, "--timeout", "60", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )


def outcomes(journal: Path) -> list[tuple[str, str | None]]:
    """(event, cluster) of every journal record, in order."""
    return [(r["event"], r.get("cluster")) for r in map(json.loads, journal.read_text().splitlines())]


def test_rollout_in_two_waves_halts_on_a_failed_apply_and_resume_finishes(terraform, kubernetes_api, tmp_path):
    intent = eks_only_intent(tmp_path)
    out = tmp_path / "out"
    journal = tmp_path / "state" / "rollout.jsonl"
    api = EksApi("111122223333")
    for cluster in ("prod-use1", "stage-use1"):
        api.seed_from_snapshot(COMPLIANT, cluster)
    with serve_eks_api(api) as eks:
        aws_fleet(intent, out, eks.eks.url, eks.sts.url)
        env = {**terraform.env, **fleet_intent_env(eks, kubernetes_api, tmp_path)}

        halted = rollout(intent, out, journal, env)
        first = outcomes(journal)
        created_before_resume = {c: {a for a, e in api.clusters[c].entries.items() if e["type"] == "STANDARD"}
                                 for c in ("prod-use1", "stage-use1")}

        api.seed_from_snapshot(COMPLIANT, "legacy-usw2")  # the fault is gone: the cluster exists
        resumed = rollout(intent, out, journal, env, "--resume")
        second = outcomes(journal)[len(first):]

    assert halted.returncode == 1, halted.stdout + halted.stderr
    assert ("applied", "stage-use1") in first and ("applied", "prod-use1") in first
    assert ("failed", "legacy-usw2") in first and ("applied", "legacy-usw2") not in first
    assert first.index(("applied", "stage-use1")) < first.index(("applied", "prod-use1"))  # canary first
    log = next(json.loads(line)["log"] for line in journal.read_text().splitlines()
               if json.loads(line).get("event") == "failed")
    assert "ResourceNotFoundException" in Path(log).read_text() or "couldn't find resource" in Path(log).read_text()
    assert "legacy-usw2" in halted.stdout + halted.stderr

    for cluster, entries in created_before_resume.items():
        assert entries == {g.principal for g in cluster_plan(cluster).grants}

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    applied_on_resume = {c for event, c in second if event == "applied"}
    assert applied_on_resume == {"legacy-usw2"}
    state = api.clusters["legacy-usw2"]
    assert {(a["namespace"], a["serviceAccount"]) for a in state.associations.values()} == {
        (wi.namespace, wi.service_account) for wi in cluster_plan("legacy-usw2").workload_identities}
