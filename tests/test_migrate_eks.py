"""`fleet-intent migrate-eks`: every aws-auth mapping, what it becomes as an access entry, whether
access after the move equals access before, and the steps in order (docs/migrate-eks.md).

Provider facts asserted here (sources in translators/eks/migrate.py): the mode only moves
CONFIG_MAP -> API_AND_CONFIG_MAP -> API, each switch irreversible (EKS user guide,
grant-k8s-access: "Once the access entry method is enabled, it cannot be disabled";
setting-up-access-entries.html: API disables "the ConfigMap method permanently"); node roles
become EC2_LINUX / EC2_WINDOWS / FARGATE_LINUX entries; kubernetesGroups may not start with
`system:` (aws/karpenter-provider-aws#7558); STANDARD entries get the assumed-role (or user) ARN
as username (creating-access-entries.adoc).

Snapshots are the bundled compliant ones (legacy-usw2 runs CONFIG_MAP, stage-use1
API_AND_CONFIG_MAP), copied to tmp_path and changed per test.
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from conftest import EXAMPLE, FIXTURES
from fakes.fleet import fake_fleet  # noqa: F401  (fixture)

COMPLIANT = FIXTURES / "snapshots" / "compliant"
ACCOUNT = "111122223333"
NODES = f"arn:aws:iam::{ACCOUNT}:role/legacy-usw2-nodes"
PLATFORM_ADMIN = f"arn:aws:iam::{ACCOUNT}:role/platform-admin"
SECURITY_AUDIT = f"arn:aws:iam::{ACCOUNT}:role/security-audit"
AUDITOR = "arn:aws:iam::444455556666:user/payments-auditor"
BREAKGLASS = f"arn:aws:iam::{ACCOUNT}:role/breakglass"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"


@pytest.fixture
def snap(tmp_path):
    """A copy of the compliant snapshots of the EKS clusters."""
    root = tmp_path / "snap"
    for cluster in ("legacy-usw2", "stage-use1", "prod-use1"):
        shutil.copytree(COMPLIANT / cluster, root / cluster)
    return root


def read(path):
    return json.loads(path.read_text())


def write(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


def map_roles(snap, cluster="legacy-usw2"):
    doc = read(snap / cluster / "kubernetes" / "aws-auth.json")
    return yaml.safe_load(doc["data"].get("mapRoles") or "[]")


def set_aws_auth(snap, cluster="legacy-usw2", **data):
    """Replace keys of aws-auth's data (mapRoles=[...] is dumped as YAML, a str is kept)."""
    path = snap / cluster / "kubernetes" / "aws-auth.json"
    doc = read(path)
    for key, value in data.items():
        doc["data"][key] = value if isinstance(value, str) else yaml.safe_dump(value)
    write(path, doc)


def add_role(snap, arn, groups, username=None, cluster="legacy-usw2"):
    roles = map_roles(snap, cluster)
    roles.append({"rolearn": arn, "username": username or arn.rsplit("/", 1)[-1], "groups": list(groups)})
    set_aws_auth(snap, cluster, mapRoles=roles)


def add_binding(snap, role_kind, role_name, subject_kind, subject_name, namespace=None, cluster="legacy-usw2"):
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    path = snap / cluster / "kubernetes" / ("rolebindings.json" if namespace else "clusterrolebindings.json")
    doc = read(path)
    meta = {"name": f"test-{subject_name.replace(':', '-')}-{role_name}"}
    if namespace:
        meta["namespace"] = namespace
    doc["items"].append({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": subject_kind, "name": subject_name}],
    })
    write(path, doc)


def drop_binding(snap, name, namespace=None, cluster="legacy-usw2"):
    path = snap / cluster / "kubernetes" / ("rolebindings.json" if namespace else "clusterrolebindings.json")
    doc = read(path)
    doc["items"] = [i for i in doc["items"] if (i["metadata"]["name"], i["metadata"].get("namespace")) != (name, namespace)]
    write(path, doc)


def set_mode(snap, mode, cluster="legacy-usw2"):
    path = snap / cluster / "aws" / "cluster.json"
    doc = read(path)
    doc["cluster"]["accessConfig"] = {"authenticationMode": mode, "bootstrapClusterCreatorAdminPermissions": False}
    write(path, doc)
    entries = snap / cluster / "aws" / "access-entries.json"
    if not entries.exists():
        write(entries, [])


def add_entry(snap, arn, type="STANDARD", groups=(), username=None, policies=(), cluster="legacy-usw2"):
    """An access entry as `aws eks describe-access-entry` plus its associated policies;
    policies are (name, namespaces; empty for cluster scope)."""
    path = snap / cluster / "aws" / "access-entries.json"
    entries = read(path)
    entries.append({
        "accessEntry": {"clusterName": cluster, "principalArn": arn, "type": type, "kubernetesGroups": list(groups),
                        "username": username or arn},
        "associatedAccessPolicies": [
            {"policyArn": POLICY + name,
             "accessScope": {"type": "namespace", "namespaces": list(ns)} if ns else {"type": "cluster", "namespaces": []}}
            for name, ns in policies
        ],
    })
    write(path, entries)


def migrate(run, snap, cluster="legacy-usw2", fmt="json"):
    code, out, err = run("migrate-eks", EXAMPLE, "--cluster", cluster, "--snapshot", snap, "--format", fmt, "--now", "2026-11-26")
    if fmt == "json" and code in (0, 1):
        return code, json.loads(out), err
    return code, out, err


def mapping(report, arn):
    (found,) = [m for m in report["mappings"] if m["arn"] == arn]
    return found


def grant(level, namespace=None):
    return {"level": level, "namespace": namespace}


def nodes_entered(snap):
    """legacy-usw2 after step 1: API_AND_CONFIG_MAP, EKS having created its node group's entry."""
    set_mode(snap, "API_AND_CONFIG_MAP")
    add_entry(snap, NODES, type="EC2_LINUX", username="system:node:{{EC2PrivateDNSName}}")


# ---- equivalence ----

def test_every_mapping_equivalent_exits_0(run, snap):
    """legacy-usw2 after step 1 (intent still CONFIG_MAP): its fleet-intent aws-auth groups give
    exactly what the intent's access policies will, and the node role has its EC2_LINUX entry."""
    nodes_entered(snap)
    code, report, _ = migrate(run, snap)
    assert code == 0 and report["equivalent"] and report["blocking"] == []
    assert report["authenticationMode"] == {"cluster": "API_AND_CONFIG_MAP", "intent": "CONFIG_MAP"}
    dev = mapping(report, f"arn:aws:iam::{ACCOUNT}:role/payments-dev")
    assert dev["before"] == dev["after"] == [grant("edit", "payments"), grant("edit", "payments-batch")]
    assert dev["becomes"]["accessPolicies"] == [
        {"policy": "AmazonEKSEditPolicy", "scope": "namespace", "namespaces": ["payments", "payments-batch"]}
    ]
    assert dev["becomes"]["kubernetesGroups"] == []  # the intent's policy covers the group's binding
    assert mapping(report, PLATFORM_ADMIN)["after"] == [grant("cluster-admin")]
    assert [s["status"] for s in report["steps"]] == ["done", "current", "done", "pending", "pending"]


def test_stage_cluster_is_equivalent_and_at_the_api_step(run, snap):
    code, report, _ = migrate(run, snap, "stage-use1")
    assert code == 0
    (node,) = report["mappings"]
    assert node["kind"] == "node:linux" and node["equivalent"] and node["becomes"]["type"] == "EC2_LINUX" and node["becomes"]["exists"]
    assert [s["status"] for s in report["steps"]] == ["done", "done", "done", "current", "pending"]
    assert report["newPrincipals"] == []  # every principal of the intent already has its entry


def test_api_cluster_has_nothing_left_to_move(run, snap):
    code, report, _ = migrate(run, snap, "prod-use1")
    assert code == 0 and report["mappings"] == [] and [s["status"] for s in report["steps"]] == ["done"] * 5
    assert "not read" in report["notes"][0]


def test_system_masters_mapping_not_in_the_intent_is_lost_cluster_admin(run, snap):
    nodes_entered(snap)
    add_role(snap, BREAKGLASS, ["system:masters"])
    code, report, _ = migrate(run, snap)
    assert code == 1 and report["blocking"] == [BREAKGLASS]
    found = mapping(report, BREAKGLASS)
    assert not found["equivalent"] and found["lost"] == [grant("cluster-admin")] and found["after"] == []
    assert any("grant cluster-admin cluster-wide" in a for a in found["actions"])
    code, text, _ = migrate(run, snap, fmt="table")
    assert code == 1 and "NOT EQUIVALENT: 1 of 7" in text
    block = text.split(f"mapRoles {BREAKGLASS}")[1].split("\n\n")[0]
    assert "LOST       cluster-admin cluster-wide" in block


def test_system_masters_of_an_intent_cluster_admin_is_equivalent(run, snap):
    """system:masters -> AmazonEKSClusterAdminPolicy: same access, through EKS's authorizer (said)."""
    nodes_entered(snap)
    set_aws_auth(snap, mapRoles=[r if r["rolearn"] != PLATFORM_ADMIN else {**r, "groups": ["system:masters"]} for r in map_roles(snap)])
    code, report, _ = migrate(run, snap)
    found = mapping(report, PLATFORM_ADMIN)
    assert code == 0 and found["equivalent"] and found["before"] == [grant("cluster-admin")]
    assert found["becomes"]["kubernetesGroups"] == []  # system:masters is never suggested as a group
    assert any("system:masters" in n for n in found["notes"])


def test_custom_group_bound_to_a_custom_role_needs_a_kubernetes_groups_entry(run, snap):
    add_role(snap, DEPLOYER, ["ci-deployers"])
    add_binding(snap, "Role", "deployer", "Group", "ci-deployers", namespace="payments")
    nodes_entered(snap)
    code, report, _ = migrate(run, snap)
    found = mapping(report, DEPLOYER)
    assert code == 1 and not found["equivalent"]
    assert found["lost"] == [grant("other:Role/deployer", "payments")]
    assert found["becomes"]["kubernetesGroups"] == ["ci-deployers"] and not found["becomes"]["exists"]
    assert any("create-access-entry" in a and "--kubernetes-groups ci-deployers" in a for a in found["actions"])
    # Once the entry carries the group, the mapping has its equivalent.
    add_entry(snap, DEPLOYER, groups=["ci-deployers"], username=f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/{{{{SessionName}}}}")
    code, report, _ = migrate(run, snap)
    found = mapping(report, DEPLOYER)
    assert code == 0 and found["equivalent"] and found["becomes"]["exists"]
    assert found["after"] == [grant("other:Role/deployer", "payments")]


def test_custom_group_beside_an_intent_group_only_the_custom_one_is_suggested(run, snap):
    dev = f"arn:aws:iam::{ACCOUNT}:role/payments-dev"
    set_aws_auth(snap, mapRoles=[r if r["rolearn"] != dev else {**r, "groups": ["fleet-intent:payments:edit", "ci-deployers"]}
                                 for r in map_roles(snap)])
    add_binding(snap, "Role", "deployer", "Group", "ci-deployers", namespace="payments")
    nodes_entered(snap)
    code, report, _ = migrate(run, snap)
    found = mapping(report, dev)
    assert code == 1 and found["becomes"]["kubernetesGroups"] == ["ci-deployers"]
    assert found["lost"] == [grant("other:Role/deployer", "payments")]


def test_fleet_intent_group_the_intent_no_longer_grants_is_not_suggested_as_a_group(run, snap):
    """The fleet-intent:* bindings belong to the CONFIG_MAP root and go at step 2: a grant they
    give that the intent does not is to be granted in the intent, not carried by the group."""
    nodes_entered(snap)
    add_role(snap, DEPLOYER, ["fleet-intent:payments:edit"])
    code, report, _ = migrate(run, snap)
    found = mapping(report, DEPLOYER)
    assert code == 1 and found["lost"] == [grant("edit", "payments"), grant("edit", "payments-batch")]
    assert found["becomes"]["kubernetesGroups"] == []
    assert any(a.startswith("grant edit in payments, edit in payments-batch to") for a in found["actions"])


def test_system_group_on_a_principal_mapping_cannot_be_carried(run, snap):
    nodes_entered(snap)
    add_role(snap, DEPLOYER, ["system:bootstrappers", "ci-deployers"])
    code, report, _ = migrate(run, snap)
    found = mapping(report, DEPLOYER)
    assert code == 1 and found["kind"] == "principal"
    assert any("system:bootstrappers" in p and "system:" in p for p in found["problems"])


# ---- node roles ----

def test_node_role_without_its_entry_blocks(run, snap):
    code, report, _ = migrate(run, snap)  # CONFIG_MAP: no access entries at all
    node = mapping(report, NODES)
    assert code == 1 and report["blocking"] == [NODES]
    assert node["kind"] == "node:linux" and node["becomes"] == {
        "type": "EC2_LINUX", "principalArn": NODES, "username": "system:node:{{EC2PrivateDNSName}}",
        "accessPolicies": [], "kubernetesGroups": [], "exists": False,
    }
    (action,) = node["actions"]
    assert "managed node groups" in action and f"--principal-arn {NODES} --type EC2_LINUX" in action


def test_node_role_with_its_entry_is_equivalent(run, snap):
    nodes_entered(snap)
    code, report, _ = migrate(run, snap)
    assert code == 0 and mapping(report, NODES)["equivalent"]


def test_node_role_with_an_entry_of_another_type_blocks(run, snap):
    set_mode(snap, "API_AND_CONFIG_MAP")
    add_entry(snap, NODES, type="STANDARD")
    code, report, _ = migrate(run, snap)
    node = mapping(report, NODES)
    assert code == 1 and "STANDARD" in node["problems"][0] and "delete" in node["actions"][0]


def test_windows_and_fargate_node_roles_need_their_own_types(run, snap):
    windows = f"arn:aws:iam::{ACCOUNT}:role/win-nodes"
    fargate = f"arn:aws:iam::{ACCOUNT}:role/fargate-pods"
    add_role(snap, windows, ["system:bootstrappers", "system:nodes", "eks:kube-proxy-windows"], "system:node:{{EC2PrivateDNSName}}")
    add_role(snap, fargate, ["system:bootstrappers", "system:nodes", "system:node-proxier"], "system:node:{{SessionName}}")
    nodes_entered(snap)
    add_entry(snap, fargate, type="FARGATE_LINUX")
    _, report, _ = migrate(run, snap)
    assert mapping(report, windows)["becomes"]["type"] == "EC2_WINDOWS" and not mapping(report, windows)["equivalent"]
    assert mapping(report, fargate)["becomes"]["type"] == "FARGATE_LINUX" and mapping(report, fargate)["equivalent"]


# ---- usernames ----

def test_username_difference_loses_the_user_bindings(run, snap):
    """aws-auth says `payments-auditor`, the access entry's username is the user's ARN: a binding
    to User payments-auditor does not carry over."""
    nodes_entered(snap)
    add_binding(snap, "ClusterRole", "view", "User", "payments-auditor", namespace="data-ingest")
    code, report, _ = migrate(run, snap)
    found = mapping(report, AUDITOR)
    assert code == 1 and found["lost"] == [grant("view", "data-ingest")]
    assert found["becomes"]["username"] == AUDITOR
    assert any("'payments-auditor' becomes" in n and "do not carry over" in n for n in found["notes"])
    assert any("rebind" in a for a in found["actions"])


def test_username_difference_without_user_bindings_is_said_not_blocking(run, snap):
    nodes_entered(snap)
    code, report, _ = migrate(run, snap)
    found = mapping(report, AUDITOR)
    assert code == 0 and found["equivalent"]
    assert any("becomes" in n and "no binding names that User" in n for n in found["notes"])


def test_same_username_carries_its_user_bindings(run, snap):
    nodes_entered(snap)
    set_aws_auth(snap, mapUsers=[{"userarn": AUDITOR, "username": AUDITOR, "groups": ["fleet-intent:payments:view"]}])
    add_binding(snap, "Role", "log-reader", "User", AUDITOR, namespace="payments")
    add_entry(snap, AUDITOR, username=AUDITOR, policies=[("AmazonEKSViewPolicy", ["payments", "payments-batch"])])
    code, report, _ = migrate(run, snap)
    found = mapping(report, AUDITOR)
    assert code == 0 and found["equivalent"]
    assert grant("other:Role/log-reader", "payments") in found["before"] == found["after"]
    assert not any("becomes" in n for n in found["notes"])


# ---- what is gained, and the state after step 2 ----

def test_intent_granting_more_than_aws_auth_is_not_equivalent(run, snap):
    nodes_entered(snap)
    drop_binding(snap, "fleet-intent-cluster-view")
    code, report, _ = migrate(run, snap)
    found = mapping(report, SECURITY_AUDIT)
    assert code == 1 and found["before"] == [] and found["gained"] == [grant("view")]


def test_after_step_2_the_access_entry_holds_what_the_bindings_gave(run, snap):
    """Step 2's apply creates the access entries (which override the mappings of their ARNs)
    and removes the fleet-intent:* bindings aws-auth's groups used: still equivalent."""
    nodes_entered(snap)
    drop_binding(snap, "fleet-intent-cluster-view")
    add_entry(snap, SECURITY_AUDIT, username=f"arn:aws:sts::{ACCOUNT}:assumed-role/security-audit/{{{{SessionName}}}}",
              policies=[("AmazonEKSViewPolicy", [])])
    code, report, _ = migrate(run, snap)
    found = mapping(report, SECURITY_AUDIT)
    assert found["equivalent"] and found["before"] == found["after"] == [grant("view")] and code == 0


def test_intent_sets_the_scope_of_the_policies_it_names_and_other_policies_stay(run, snap):
    """EKS takes a policy once per entry: applying the intent gives AmazonEKSViewPolicy the
    intent's namespaces; a policy the intent does not name stays on the entry."""
    nodes_entered(snap)
    add_entry(snap, AUDITOR, policies=[("AmazonEKSViewPolicy", ["payments"]), ("AmazonEKSAdminViewPolicy", [])])
    code, report, _ = migrate(run, snap)
    found = mapping(report, AUDITOR)
    assert code == 0 and found["equivalent"]
    assert found["becomes"]["accessPolicies"] == [
        {"policy": "AmazonEKSAdminViewPolicy", "scope": "cluster", "namespaces": []},
        {"policy": "AmazonEKSViewPolicy", "scope": "namespace", "namespaces": ["payments", "payments-batch"]},
    ]
    assert found["after"] == [grant("other:AmazonEKSAdminViewPolicy"), grant("view", "payments"), grant("view", "payments-batch")]


# ---- mappings without an equivalent ----

def test_map_accounts_has_no_equivalent(run, snap):
    nodes_entered(snap)
    set_aws_auth(snap, mapAccounts=f'- "{ACCOUNT}"\n')
    code, report, _ = migrate(run, snap)
    found = mapping(report, ACCOUNT)
    assert code == 1 and found["source"] == "mapAccounts" and found["kind"] == "account" and found["becomes"] is None
    assert "account-wide" in found["problems"][0]


@pytest.mark.parametrize("arn", [
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS",
    f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/session",
])
def test_arn_that_is_no_iam_role_or_user_has_no_equivalent(run, snap, arn):
    nodes_entered(snap)
    add_role(snap, arn, ["ci-deployers"], username="x")
    code, report, _ = migrate(run, snap)
    found = mapping(report, arn)
    assert code == 1 and found["kind"] == "unsupported" and found["becomes"] is None and found["problems"]


# ---- report shape and steps ----

def test_json_shape(run, snap):
    code, report, _ = migrate(run, snap)
    assert code == 1
    assert set(report) == {"cluster", "region", "authenticationMode", "equivalent", "mappings", "blocking",
                           "newPrincipals", "steps", "notes"}
    assert (report["cluster"], report["region"]) == ("legacy-usw2", "us-west-2")
    assert set(report["mappings"][0]) == {"source", "arn", "username", "groups", "kind", "equivalent", "becomes", "before",
                                          "after", "lost", "gained", "problems", "actions", "notes"}
    steps = report["steps"]
    assert [s["number"] for s in steps] == [1, 2, 3, 4, 5]
    assert [s["status"] for s in steps] == ["current", "pending", "pending", "pending", "pending"]
    assert steps[0]["commands"] == [
        "aws eks update-cluster-config --name legacy-usw2 --region us-west-2 --access-config authenticationMode=API_AND_CONFIG_MAP"
    ]
    assert steps[3]["commands"][0].endswith("authenticationMode=API")
    assert [bool(s["irreversible"]) for s in steps] == [True, False, False, True, False]
    assert "cannot" in steps[0]["irreversible"] and "cannot" in steps[3]["irreversible"]
    # aws-auth leaves Terraform before the regenerated root (which has none) is applied.
    commands = steps[1]["commands"]
    state_rm = next(i for i, c in enumerate(commands) if "state rm kubernetes_config_map_v1_data.aws_auth" in c)
    assert state_rm < next(i for i, c in enumerate(commands) if c.startswith("fleet-intent generate"))


def test_table_marks_the_current_step_and_the_irreversible_ones(run, snap):
    code, text, _ = migrate(run, snap, fmt="table")
    assert code == 1
    assert "[current] 1. turn access entries on" in text and "[pending] 4. stop reading aws-auth" in text
    assert text.count("IRREVERSIBLE:") == 2


# ---- bad input: one line, exit 2 ----

@pytest.mark.parametrize("args, words", [
    (["--cluster", "nope"], "no such cluster"),
    (["--cluster", "prod-euw1"], "is a gke cluster"),
])
def test_unknown_or_non_eks_cluster(run, snap, args, words):
    code, out, err = run("migrate-eks", EXAMPLE, *args, "--snapshot", snap)
    assert code == 2 and out == "" and words in err and len(err.strip().splitlines()) == 1


def test_unreadable_cluster(run, tmp_path):
    (tmp_path / "empty").mkdir()
    code, out, err = run("migrate-eks", EXAMPLE, "--cluster", "legacy-usw2", "--snapshot", tmp_path / "empty")
    assert code == 2 and out == "" and err.startswith("error: legacy-usw2: unreadable:") and len(err.strip().splitlines()) == 1


def test_malformed_map_accounts_names_the_file(run, snap):
    set_aws_auth(snap, mapAccounts="- [unclosed\n")
    code, out, err = migrate(run, snap)
    assert code == 2 and "aws-auth.json: data.mapAccounts is not valid YAML" in err and len(err.strip().splitlines()) == 1


def test_api_and_config_map_cluster_without_its_access_entries_document(run, snap):
    set_mode(snap, "API_AND_CONFIG_MAP")
    (snap / "legacy-usw2" / "aws" / "access-entries.json").unlink()
    code, out, err = migrate(run, snap)
    assert code == 2 and "access-entries.json: missing" in err


@pytest.mark.parametrize("sources, words", [([], "give --snapshot DIR or --live"), (["--live"], "exclusive")])
def test_one_source(run, snap, sources, words):
    code, _, err = run("migrate-eks", EXAMPLE, "--cluster", "legacy-usw2", "--snapshot", snap, *sources) if sources else \
        run("migrate-eks", EXAMPLE, "--cluster", "legacy-usw2")
    assert code == 2 and words in err


def test_table_never_prints_control_characters_read_from_aws_auth(run, snap):
    """A mapping's username and groups come from the cluster: the table escapes their control
    characters, so a hostile aws-auth cannot send escape sequences to the terminal."""
    add_role(snap, BREAKGLASS, ["ops\x1b[2Jteam"], username="break\x1b]0;x\x07glass")

    code, out, _ = migrate(run, snap, fmt="table")

    assert code == 1
    assert "\x1b" not in out and "\x07" not in out
    assert "break\\x1b]0;x\\x07glass" in out and "ops\\x1b[2Jteam" in out


def test_live_reads_the_cluster_like_check(fake_fleet, run, snap):  # noqa: F811
    """`--live` reads aws-auth, the bindings and the cluster through the real SDK clients (the
    EKS and Kubernetes fakes serve the compliant snapshot) and reports what the snapshot gives."""
    code, live, err = run("migrate-eks", EXAMPLE, "--cluster", "legacy-usw2", "--live", "--format", "json",
                          "--timeout", "15", "--now", "2026-11-26")
    _, from_snapshot, _ = migrate(run, snap)
    assert code == 1, err  # the node role has no EC2_LINUX entry yet
    assert json.loads(live) == from_snapshot
    assert any(r.startswith("GET /k/legacy-usw2/api/v1/namespaces/kube-system/configmaps/aws-auth")
               for r in fake_fleet.kube.requests)
