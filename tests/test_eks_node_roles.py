"""EKS node roles of every kind (SPEC §11): Linux, Windows and Fargate pod execution roles get
the aws-auth username and groups EKS itself writes for them, and check treats each as
provider-managed.

Sources for the three mappings:
- Linux: EKS user guide auth-configmap.adoc / launch-workers.adoc
  (system:node:{{EC2PrivateDNSName}}, system:bootstrappers + system:nodes).
- Windows: the same plus eks:kube-proxy-windows, EKS user guide
  latest/ug/nodes/launch-windows-workers.adoc ("Enable nodes to join your cluster") and the botocore
  eks CreateNodegroupRequest.amiType doc ("add eks:kube-proxy-windows to your Windows nodes rolearn
  in the aws-auth ConfigMap"); eksctl pkg/authconfigmap adds the same group.
- Fargate: username system:node:{{SessionName}} (EKS user guide creating-access-entries.adoc, the
  username EKS sets for FARGATE_LINUX) and groups system:bootstrappers, system:nodes,
  system:node-proxier: the mapping EKS adds when it creates a Fargate profile (AWS knowledge
  center fargate-troubleshoot-profile-creation; the mapping as EKS wrote it is quoted in
  aws/containers-roadmap#807 and pulumi/pulumi-eks#807).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import FIXTURES, NOW
from generate_support import blocks, example_data, of_type, parse, render, yamlencode_argument

COMPLIANT = FIXTURES / "snapshots" / "compliant"
ROLE = "arn:aws:iam::111122223333:role/"
LINUX = {"username": "system:node:{{EC2PrivateDNSName}}", "groups": ["system:bootstrappers", "system:nodes"]}
WINDOWS = {"username": "system:node:{{EC2PrivateDNSName}}", "groups": ["eks:kube-proxy-windows", "system:bootstrappers", "system:nodes"]}
FARGATE = {"username": "system:node:{{SessionName}}", "groups": ["system:bootstrappers", "system:node-proxier", "system:nodes"]}
NODE_ROLES = [
    ROLE + "legacy-usw2-nodes",
    {"arn": ROLE + "nodes/legacy-usw2-windows", "kind": "windows"},
    {"arn": ROLE + "legacy-usw2-fargate", "kind": "fargate"},
    {"arn": ROLE + "legacy-usw2-al2023", "kind": "linux"},
]


def intent_with_node_roles(roles=None) -> dict:
    data = example_data()
    data["clusters"][2]["nodeRoleArns"] = copy.deepcopy(NODE_ROLES if roles is None else roles)
    return data


def map_roles(data: dict) -> list[dict]:
    files = render(parse(data), ["legacy-usw2"])
    config = of_type(blocks(files, "legacy-usw2"), "kubernetes_config_map_v1_data")["aws_auth"]
    return yamlencode_argument(config["data"]["mapRoles"])


def test_each_node_role_kind_gets_the_mapping_eks_writes():
    """Sources: the module docstring (EKS user guide launch-windows-workers.adoc, botocore
    CreateNodegroupRequest.amiType, creating-access-entries.adoc FARGATE_LINUX, containers-roadmap#807)."""
    roles = {r["rolearn"]: {k: v for k, v in r.items() if k != "rolearn"} for r in map_roles(intent_with_node_roles())}
    assert roles[ROLE + "legacy-usw2-nodes"] == LINUX
    assert roles[ROLE + "legacy-usw2-al2023"] == LINUX
    # aws-auth cannot carry the IAM path.
    assert roles[ROLE + "legacy-usw2-windows"] == WINDOWS
    assert roles[ROLE + "legacy-usw2-fargate"] == FARGATE


def test_manifest_carries_the_same_node_mappings():
    files = render(parse(intent_with_node_roles()), ["legacy-usw2"])
    manifest = yaml.safe_load(files["clusters/legacy-usw2/manifests/aws-auth.yaml"])
    mapped = {r["rolearn"]: r["groups"] for r in yaml.safe_load(manifest["data"]["mapRoles"])}
    assert mapped[ROLE + "legacy-usw2-windows"] == WINDOWS["groups"]
    assert mapped[ROLE + "legacy-usw2-fargate"] == FARGATE["groups"]


def test_json_schema_describes_both_forms_of_a_node_role():
    from intent.model import json_schema

    schema = json_schema()
    items = schema["$defs"]["EksCluster"]["properties"]["nodeRoleArns"]["items"]
    forms = items.get("oneOf") or items.get("anyOf")
    assert {"type": "string"} in forms and {"$ref": "#/$defs/NodeRole"} in forms
    node_role = schema["$defs"]["NodeRole"]
    assert node_role["required"] == ["arn"] and node_role["additionalProperties"] is False
    assert node_role["properties"]["kind"]["enum"] == ["linux", "windows", "fargate"]
    assert node_role["properties"]["kind"]["default"] == "linux"


@pytest.mark.parametrize(
    ("entry", "path", "words"),
    [
        ({"arn": ROLE + "w", "kind": "windoes"}, "clusters[2].nodeRoleArns[1].kind", "did you mean 'windows'"),
        ({"arn": ROLE + "w", "knd": "windows"}, "clusters[2].nodeRoleArns[1].knd", "unknown field"),
        ({"kind": "fargate"}, "clusters[2].nodeRoleArns[1].arn", "required field 'arn'"),
        ({"arn": "arn:aws:iam::111122223333:user/w", "kind": "windows"}, "clusters[2].nodeRoleArns[1].arn", "not an IAM role ARN"),
        ("arn:aws:iam::111122223333:user/w", "clusters[2].nodeRoleArns[1]", "not an IAM role ARN"),
        (7, "clusters[2].nodeRoleArns[1]", "expected text"),
        ({"arn": "arn:aws-cn:iam::111122223333:role/w", "kind": "fargate"}, "clusters[2].nodeRoleArns[1].arn", "partition"),
        (ROLE + "legacy-usw2-nodes", "clusters[2].nodeRoleArns[1]", "listed twice"),
        ({"arn": ROLE + "legacy-usw2-nodes", "kind": "windows"}, "clusters[2].nodeRoleArns[1].arn", "separate IAM role for each kind"),
    ],
)
def test_bad_node_role_is_one_problem_at_its_line(entry, path, words):
    """A Windows role must not also be a Linux node role (EKS user guide launch-windows-workers.adoc:
    "Don't use the same IAM role for both Windows and Linux nodes"; pod-execution-role.adoc: "The
    Fargate profile must have a different IAM role than Amazon EC2 node groups")."""
    from intent.errors import IntentError

    with pytest.raises(IntentError) as exc:
        parse(intent_with_node_roles([ROLE + "legacy-usw2-nodes", entry]))
    problems = exc.value.problems
    assert len(problems) == 1, [(p.path, p.message) for p in problems]
    assert problems[0].path == path and words in problems[0].message and problems[0].line > 1


# ---- check: every kind of node mapping is provider-managed ----


@pytest.fixture(scope="module")
def fleet():
    from intent.plan import plan_fleet

    return plan_fleet(parse(intent_with_node_roles()).intent, NOW)


def cluster_docs(fleet, name):
    from intent.observe.snapshot import SnapshotDirSource

    plan = fleet.cluster(name)
    return plan, copy.deepcopy(SnapshotDirSource(str(COMPLIANT)).read_cluster(plan))


def diff(plan, docs) -> set[tuple]:
    from intent.check.diff import diff_cluster
    from intent.check.run import observe

    return {(f.rule, f.severity.value, f.object) for f in diff_cluster(plan, observe(plan, docs))}


def add_mappings(docs, *mappings):
    data = docs["kubernetes/aws-auth.json"]["data"]
    roles = yaml.safe_load(data.get("mapRoles") or "[]") + [dict(m) for m in mappings]
    data["mapRoles"] = yaml.safe_dump(roles)


def node_mapping(name: str, kind: dict, extra=()) -> dict:
    return {"rolearn": ROLE + name, "username": kind["username"], "groups": kind["groups"] + list(extra)}


def test_windows_and_fargate_node_mappings_are_not_drift_on_a_config_map_cluster(fleet):
    plan, docs = cluster_docs(fleet, "legacy-usw2")
    add_mappings(docs, node_mapping("legacy-usw2-windows", WINDOWS), node_mapping("legacy-usw2-fargate", FARGATE),
                 node_mapping("legacy-usw2-al2023", LINUX))
    assert diff(plan, docs) == set()


def test_windows_and_fargate_node_mappings_are_not_drift_on_an_api_and_config_map_cluster(fleet):
    """Before SPEC §11 a Windows node mapping counted as a grant: FI-AUTH-003 "aws-auth" drift."""
    plan, docs = cluster_docs(fleet, "stage-use1")
    add_mappings(docs, node_mapping("stage-use1-windows", WINDOWS), node_mapping("stage-use1-fargate", FARGATE))
    assert diff(plan, docs) == set()


def test_masters_or_extra_groups_on_a_node_role_are_still_findings(fleet):
    plan, docs = cluster_docs(fleet, "stage-use1")
    add_mappings(docs, node_mapping("stage-use1-windows", WINDOWS, ["system:masters"]),
                 node_mapping("stage-use1-fargate", FARGATE, ["ops-team"]),
                 # Another kind's group on a Windows role is not a node mapping either.
                 node_mapping("stage-use1-mixed", WINDOWS, ["system:node-proxier"]))
    assert diff(plan, docs) == {
        ("FI-AUTH-001", "critical", f"aws-auth/mapRoles/{ROLE}stage-use1-windows"),
        ("FI-AUTH-003", "high", f"aws-auth/mapRoles/{ROLE}stage-use1-fargate"),
        ("FI-AUTH-003", "high", f"aws-auth/mapRoles/{ROLE}stage-use1-mixed"),
    }


def test_node_role_mapped_as_another_kind_is_auth_002(fleet):
    plan, docs = cluster_docs(fleet, "legacy-usw2")
    # The Windows role lacks eks:kube-proxy-windows; the Fargate role is missing altogether.
    add_mappings(docs, node_mapping("legacy-usw2-windows", LINUX), node_mapping("legacy-usw2-al2023", LINUX))
    from intent.check.diff import diff_cluster
    from intent.check.run import observe

    found = {f.object: f for f in diff_cluster(plan, observe(plan, docs))}
    assert set(found) == {f"aws-auth/mapRoles/{ROLE}nodes/legacy-usw2-windows", f"aws-auth/mapRoles/{ROLE}legacy-usw2-fargate"}
    windows = found[f"aws-auth/mapRoles/{ROLE}nodes/legacy-usw2-windows"]
    assert (windows.rule, windows.expected, windows.actual) == ("FI-AUTH-002", "windows", "linux")
    assert "eks:kube-proxy-windows" in windows.message
    fargate = found[f"aws-auth/mapRoles/{ROLE}legacy-usw2-fargate"]
    assert fargate.rule == "FI-AUTH-002" and "system:node-proxier" in fargate.message


@pytest.mark.parametrize("mode", ["API", "API_AND_CONFIG_MAP"])
def test_node_access_entries_are_provider_managed(fleet, mode):
    """EC2_LINUX, EC2_WINDOWS and FARGATE_LINUX entries belong to nodes (EKS user guide
    creating-access-entries.adoc; SPEC §7): never drift, whatever their username."""
    plan, docs = cluster_docs(fleet, "prod-use1" if mode == "API" else "stage-use1")
    for kind, name in (("EC2_LINUX", "linux-nodes"), ("EC2_WINDOWS", "windows-nodes"), ("FARGATE_LINUX", "fargate-pods")):
        docs["aws/access-entries.json"].append({
            "accessEntry": {"principalArn": ROLE + name, "type": kind, "kubernetesGroups": [],
                            "username": FARGATE["username"] if kind == "FARGATE_LINUX" else LINUX["username"]},
            "associatedAccessPolicies": [],
        })
    assert diff(plan, docs) == set()


def test_terraform_check_reads_windows_and_fargate_node_mappings_as_provider_managed(tmp_path):
    """`check --terraform` on the aws-auth.tf generate writes for Windows and Fargate node roles:
    the node mappings are not grants (before SPEC §11 the Windows and Fargate ones were FI-TF-002)."""
    from intent.check.terraform import scan_terraform
    from intent.plan import plan_fleet

    loaded = parse(intent_with_node_roles())
    files = render(loaded, ["legacy-usw2"])
    folder = tmp_path / "legacy-usw2"
    folder.mkdir()
    text = files["clusters/legacy-usw2/aws-auth.tf"]
    (folder / "aws-auth.tf").write_text("# fleet-intent/cluster: legacy-usw2\n" + text)
    findings, errors = scan_terraform([str(folder)], plan_fleet(loaded.intent, NOW), loaded.intent)
    assert errors == []
    # Only what the example's aws-auth lacks against the full intent (rbac.tf is not scanned) may
    # show; nothing about a node role.
    assert not [f for f in findings if "legacy-usw2-" in (f.object or "") + f.message], [f.message for f in findings]
