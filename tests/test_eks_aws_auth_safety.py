"""The CONFIG_MAP root's aws-auth cannot be destroyed by Terraform, says exactly what Terraform
manages, and brownfield prerequisites (an existing aws-auth, the creator's access entry) are
documented where the user meets them and detected by check.

Provider facts (hashicorp/terraform-provider-kubernetes
kubernetes/resource_kubernetes_config_map_v1_data.go): Create/Update patch only
`metadata.name`, `metadata.namespace` and `data` by server-side apply (:177-185) and fail with
`The ConfigMap "aws-auth" does not exist` when it is absent (:155-168); Delete applies empty
data with `force` (:171-176, 213-223), which drops every key this field manager owns, node
roles included. EKS facts: botocore eks CreateAccessConfigRequest.bootstrapClusterCreatorAdminPermissions
("The default value is true") and CreateAccessEntry's ResourceInUseException.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import FIXTURES, NOW
from generate_support import blocks, example_data, of_type, parse, render, strings, yamlencode_argument

COMPLIANT = FIXTURES / "snapshots" / "compliant"


def config_map_files() -> dict[str, str]:
    return render(parse(example_data()), ["legacy-usw2"])


def aws_auth_resource(files) -> dict:
    return of_type(blocks(files, "legacy-usw2"), "kubernetes_config_map_v1_data")["aws_auth"]


# ---- D7: destroy must not strip the node mappings ----


def test_aws_auth_resource_prevents_destroy():
    lifecycle = strings(aws_auth_resource(config_map_files())["lifecycle"])
    assert lifecycle == [{"prevent_destroy": True}]


def provider_free_copy(aws_auth_tf: str) -> str:
    """The generated aws-auth.tf with the kubernetes resource swapped for the built-in
    `terraform_data` (no provider binary is available offline): the lifecycle block and the
    `yamlencode` data are kept verbatim, `data` becomes `input`, the provider-only arguments go."""
    text = aws_auth_tf.replace('resource "kubernetes_config_map_v1_data" "aws_auth" {', 'resource "terraform_data" "aws_auth" {')
    text, metadata = re.subn(r"\n  metadata \{\n(?:    .*\n)*?  \}\n", "\n", text)
    text, force = re.subn(r"\n  force = true\n", "\n", text)
    text, data = re.subn(r"\n  data = \{\n", "\n  input = {\n", text)
    assert (metadata, force, data) == (1, 1, 1), text
    return text + '\noutput "data" {\n  value = terraform_data.aws_auth.output\n}\n'


def run_terraform(cwd, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["terraform", *args, "-no-color", *(["-input=false"] if args[0] != "output" else [])], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1",
             "HOME": str(cwd), "TF_CLI_CONFIG_FILE": str(cwd / "none.tfrc")},
    )


def test_terraform_refuses_to_destroy_aws_auth_and_its_data_is_the_manifest(tmp_path):
    """Runs the real `terraform` CLI on a provider-free copy of the generated aws-auth.tf: after
    an apply, `terraform plan -destroy` fails with "Instance cannot be destroyed", and the data
    Terraform evaluates from `yamlencode(...)` holds exactly the manifest's `data`. (`terraform
    validate`/`plan` of the real root need the kubernetes provider binary, which is not available.)"""
    if shutil.which("terraform") is None:
        pytest.skip("the terraform CLI is not on PATH")
    files = config_map_files()
    (tmp_path / "none.tfrc").write_text("")
    (tmp_path / "main.tf").write_text(provider_free_copy(files["clusters/legacy-usw2/aws-auth.tf"]))
    for step in (("init",), ("apply", "-auto-approve")):
        done = run_terraform(tmp_path, *step)
        assert done.returncode == 0, done.stdout + done.stderr
    evaluated = json.loads(run_terraform(tmp_path, "output", "-json").stdout)["data"]["value"]
    manifest = yaml.safe_load(files["clusters/legacy-usw2/manifests/aws-auth.yaml"])
    # yamlencode writes keys sorted and quoted: the same YAML values, another text.
    assert {k: yaml.safe_load(v) for k, v in evaluated.items()} == {k: yaml.safe_load(v) for k, v in manifest["data"].items()}
    assert yaml.safe_load(evaluated["mapRoles"])[0]["username"] == "system:node:{{EC2PrivateDNSName}}"
    refused = run_terraform(tmp_path, "plan", "-destroy")
    assert refused.returncode != 0
    assert "Instance cannot be destroyed" in refused.stderr and "prevent_destroy" in refused.stderr


# ---- D12: the manifest says what Terraform manages ----


def test_manifest_holds_only_what_the_terraform_resource_manages():
    """kubernetes_config_map_v1_data patches name, namespace and data only (:177-185), so the
    manifest carries no label Terraform would never apply, and its data is the resource's."""
    files = config_map_files()
    manifest = yaml.safe_load(files["clusters/legacy-usw2/manifests/aws-auth.yaml"])
    config = aws_auth_resource(files)
    assert manifest == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": strings(config["metadata"])[0],
        "data": {key: manifest["data"][key] for key in ("mapRoles", "mapUsers")},
    }
    for key in ("mapRoles", "mapUsers"):
        assert yaml.safe_load(manifest["data"][key]) == yamlencode_argument(config["data"][key])


def test_aws_auth_tf_comment_says_what_it_patches_and_what_must_exist():
    text = config_map_files()["clusters/legacy-usw2/aws-auth.tf"]
    comment = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    assert "the same content" not in comment
    assert "patches only those data keys" in comment
    assert "must already exist" in comment and "kubectl apply -f manifests/aws-auth.yaml" in comment
    assert "terraform state rm kubernetes_config_map_v1_data.aws_auth" in comment


# ---- D8: the creator's access entry ----


def test_access_tf_says_how_to_adopt_the_creator_entry():
    files = render(parse(example_data()), ["prod-use1"])
    text = files["clusters/prod-use1/access.tf"]
    assert "bootstrapClusterCreatorAdminPermissions" in text and "ResourceInUseException" in text
    assert "fleet-intent adopt" in text and "docs/adopt.md" in text


@pytest.fixture(scope="module")
def fleet():
    from intent.plan import plan_fleet

    return plan_fleet(parse(example_data()).intent, NOW)


def findings(fleet, name, edit):
    from intent.check.diff import diff_cluster
    from intent.check.run import observe
    from intent.observe.snapshot import SnapshotDirSource

    plan = fleet.cluster(name)
    docs = copy.deepcopy(SnapshotDirSource(str(COMPLIANT)).read_cluster(plan))
    edit(docs)
    return diff_cluster(plan, observe(plan, docs))


def test_undeclared_cluster_admin_access_entry_hints_at_the_creator_entry(fleet):
    creator = "arn:aws:iam::111122223333:role/cluster-creator"

    def add_creator_entry(docs):
        docs["aws/access-entries.json"].append({
            "accessEntry": {"principalArn": creator, "type": "STANDARD", "kubernetesGroups": [],
                            "username": "arn:aws:sts::111122223333:assumed-role/cluster-creator/{{SessionName}}"},
            "associatedAccessPolicies": [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                                          "accessScope": {"type": "cluster", "namespaces": []}}],
        })

    (finding,) = findings(fleet, "prod-use1", add_creator_entry)
    assert (finding.rule, finding.object) == ("FI-AUTH-001", f"AccessEntry/{creator}")
    assert "bootstrapClusterCreatorAdminPermissions" in finding.message and "cluster creator" in finding.message


def test_cluster_admin_through_a_binding_has_no_creator_hint(fleet):
    def bind(docs):
        docs["kubernetes/clusterrolebindings.json"]["items"].append({
            "metadata": {"name": "extra-admin"},
            "roleRef": {"kind": "ClusterRole", "name": "cluster-admin", "apiGroup": "rbac.authorization.k8s.io"},
            "subjects": [{"kind": "Group", "name": "fleet-intent:payments:edit", "apiGroup": "rbac.authorization.k8s.io"}],
        })

    found = [f for f in findings(fleet, "legacy-usw2", bind) if f.rule == "FI-AUTH-001"]
    assert found and not any("bootstrapClusterCreatorAdminPermissions" in f.message for f in found)


# ---- D6: a CONFIG_MAP cluster without aws-auth ----


def test_missing_aws_auth_on_a_config_map_cluster_is_one_explicit_finding(fleet):
    """Snapshot and live read alike: a missing aws-auth is an absent document (live: a 404 in
    intent/observe/kubelive.py read_aws_auth). Before, this gave one FI-AUTH-002 per node role
    saying only that it was not mapped."""
    found = findings(fleet, "legacy-usw2", lambda docs: docs.pop("kubernetes/aws-auth.json"))
    about_config_map = [f for f in found if f.object == "ConfigMap/kube-system/aws-auth"]
    assert len(about_config_map) == 1
    (finding,) = about_config_map
    assert finding.rule == "FI-AUTH-002" and (finding.expected, finding.actual) == ("present", "missing")
    assert "kubectl apply -f manifests/aws-auth.yaml" in finding.message and "before terraform apply" in finding.message
    # The node role is covered by that finding, not reported again on its own.
    assert not any(f.object.startswith("aws-auth/mapRoles/arn:aws:iam::111122223333:role/legacy-usw2-nodes") for f in found)


def test_missing_aws_auth_on_an_api_and_config_map_cluster_is_not_a_finding(fleet):
    assert findings(fleet, "stage-use1", lambda docs: docs.pop("kubernetes/aws-auth.json")) == []
