"""The observers and the diff engine on in-memory edits of the compliant snapshot."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import FIXTURES, NOW

COMPLIANT = FIXTURES / "snapshots" / "compliant"
ORG = "platform-security@acme.example"


@pytest.fixture(scope="module")
def fleet():
    from intent.load import load_intent
    from intent.plan import plan_fleet

    return plan_fleet(load_intent(str(FIXTURES / "example.yaml"), NOW).intent, NOW)


def cluster_docs(fleet, name):
    from intent.observe.snapshot import SnapshotDirSource

    plan = fleet.cluster(name)
    return plan, copy.deepcopy(SnapshotDirSource(str(COMPLIANT)).read_cluster(plan))


def diff(plan, docs) -> set[tuple]:
    from intent.check.run import observe
    from intent.check.diff import diff_cluster

    return {(f.rule, f.severity.value, f.object, f.team) for f in diff_cluster(plan, observe(plan, docs))}


def items(docs, rel):
    return docs[rel]["items"]


def test_diff_compliant_every_cluster_no_findings(fleet):
    for plan in fleet.clusters:
        _, docs = cluster_docs(fleet, plan.name)
        assert diff(plan, docs) == set(), plan.name


def test_observe_state_dumps_to_json(fleet):
    from intent.check.run import observe

    plan, docs = cluster_docs(fleet, "legacy-usw2")
    dumped = json.loads(json.dumps(observe(plan, docs).to_dict()))
    assert dumped["settings"] == {"authenticationMode": "CONFIG_MAP"}
    assert dumped["node_roles"] == {"arn:aws:iam::111122223333:role/legacy-usw2-nodes": "linux"}


def test_aks_cluster_snake_case_spelling_reads_like_az_and_arm(fleet):
    from translators.aks.observe import observe_cluster

    plan, docs = cluster_docs(fleet, "prod-weu")
    az = observe_cluster(plan, docs).settings
    docs["azure/cluster.json"] = {
        "id": plan.cluster.resource_id,
        "aad_profile": {"managed": True, "enable_azure_rbac": True, "admin_group_object_i_ds": ["6f1c2d3e-0000-4000-8000-000000000001"]},
        "disable_local_accounts": True,
        "oidc_issuer_profile": {"enabled": True, "issuer_url": docs["azure/cluster.json"]["oidcIssuerProfile"]["issuerUrl"]},
        "security_profile": {"workload_identity": {"enabled": True}},
    }
    assert observe_cluster(plan, docs).settings == az
    assert diff(plan, docs) == set()


def test_aks_arm_role_assignments_on_azure_rbac_cluster_match_az(fleet):
    plan, docs = cluster_docs(fleet, "prod-weu")
    arm = []
    for ra in docs["azure/role-assignments.json"]:
        # ARM nests under properties and spells resourceGroups; az flattens and prints resourcegroups.
        props = {k: ra[k] for k in ("roleDefinitionId", "principalId", "principalType")}
        props["scope"] = ra["scope"].replace("/resourcegroups/", "/resourceGroups/")
        arm.append({"id": ra["id"], "name": ra["name"], "type": ra["type"], "properties": props})
    docs["azure/role-assignments.json"] = arm
    assert diff(plan, docs) == set()


def test_aks_role_assignment_matched_by_guid_not_display_name(fleet):
    plan, docs = cluster_docs(fleet, "prod-weu")
    for ra in docs["azure/role-assignments.json"]:
        ra["roleDefinitionName"] = "localised name"
    assert diff(plan, docs) == set()


def test_aks_rbac_cluster_admin_assignment_outside_cluster_access_is_critical(fleet):
    plan, docs = cluster_docs(fleet, "prod-weu")
    cid = docs["azure/cluster.json"]["id"]
    docs["azure/role-assignments.json"].append({
        "principalId": "0b0c0d0e-0000-4000-8000-0000000000ee", "principalType": "User", "scope": cid.upper(),
        "roleDefinitionId": "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    })
    obj = f"RoleAssignment/{cid.upper()}/Azure Kubernetes Service RBAC Cluster Admin/user:0b0c0d0e-0000-4000-8000-0000000000ee"
    assert diff(plan, docs) == {("FI-AUTH-001", "critical", obj, None)}


def test_eks_api_mode_ignores_leftover_aws_auth(fleet):
    plan, docs = cluster_docs(fleet, "prod-use1")
    docs["kubernetes/aws-auth.json"] = {"data": {"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/x\n  groups: [system:masters]\n"}}
    assert diff(plan, docs) == set()


def test_eks_authentication_mode_differs_is_auth_005(fleet):
    plan, docs = cluster_docs(fleet, "prod-use1")
    docs["aws/cluster.json"]["cluster"]["accessConfig"]["authenticationMode"] = "API_AND_CONFIG_MAP"
    assert diff(plan, docs) == {("FI-AUTH-005", "high", "Cluster/prod-use1/authenticationMode", None)}


def test_eks_access_entry_keeps_iam_path_and_aws_auth_strips_it(fleet):
    from translators.eks.observe import observe_cluster

    plan, docs = cluster_docs(fleet, "stage-use1")
    principals = {g.principal for g in observe_cluster(plan, docs).grants}
    assert "arn:aws:iam::111122223333:role/ci/checkout-deployer" in principals


def test_eks_missing_policy_association_is_auth_002_with_team(fleet):
    plan, docs = cluster_docs(fleet, "prod-use1")
    for entry in docs["aws/access-entries.json"]:
        if entry["accessEntry"]["principalArn"].endswith("checkout-lead"):
            entry["associatedAccessPolicies"] = []
    assert diff(plan, docs) == {
        ("FI-AUTH-002", "medium", "AccessEntry/arn:aws:iam::111122223333:role/checkout-lead", "checkout"),
    }


def test_eks_missing_node_mapping_on_config_map_cluster_is_auth_002(fleet):
    import yaml

    plan, docs = cluster_docs(fleet, "legacy-usw2")
    data = docs["kubernetes/aws-auth.json"]["data"]
    roles = [r for r in yaml.safe_load(data["mapRoles"]) if not r["rolearn"].endswith("legacy-usw2-nodes")]
    data["mapRoles"] = yaml.safe_dump(roles)
    assert diff(plan, docs) == {("FI-AUTH-002", "medium", "aws-auth/mapRoles/arn:aws:iam::111122223333:role/legacy-usw2-nodes", None)}


def test_bindings_compared_by_meaning_not_name(fleet):
    plan, docs = cluster_docs(fleet, "prod-euw1")
    for rb in items(docs, "kubernetes/rolebindings.json"):
        rb["metadata"]["name"] = "renamed-" + rb["metadata"]["name"]
        for subject in rb["subjects"]:
            subject.pop("apiGroup", None)  # Kubernetes defaults it for User/Group
    assert diff(plan, docs) == set()


def test_rbac_defaults_ignored_but_cluster_admin_binding_to_group_is_critical(fleet):
    plan, docs = cluster_docs(fleet, "prod-euw1")
    crbs = items(docs, "kubernetes/clusterrolebindings.json")
    crbs.append({"metadata": {"name": "cluster-admin-2", "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
                 "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [{"kind": "Group", "name": "anyone@acme.example"}]})
    assert diff(plan, docs) == set()
    crbs.append({"metadata": {"name": "oops"}, "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                 "subjects": [{"kind": "Group", "name": "payments-devs@acme.example", "apiGroup": "rbac.authorization.k8s.io"}]})
    assert diff(plan, docs) == {("FI-AUTH-001", "critical", "ClusterRoleBinding/oops", "payments")}


def test_gke_user_binding_in_undeclared_namespace_scope_is_broader(fleet):
    plan, docs = cluster_docs(fleet, "prod-euw1")
    items(docs, "kubernetes/rolebindings.json").append({
        "metadata": {"name": "extra", "namespace": "checkout"},
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "User", "name": "auditor@acme.example"}],
    })
    assert diff(plan, docs) == {("FI-AUTH-004", "high", "RoleBinding/checkout/extra", "checkout")}


def test_namespaces_unmanaged_weak_flagged_ignored_not(fleet):
    plan, docs = cluster_docs(fleet, "prod-euw1")
    nss = items(docs, "kubernetes/namespaces.json")
    nss.append({"metadata": {"name": "scratch", "labels": {}}})
    nss.append({"metadata": {"name": "gke-other", "labels": {}}})
    nss.append({"metadata": {"name": "strict", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
    assert diff(plan, docs) == {("FI-NS-002", "medium", "Namespace/scratch", None)}


def test_psa_missing_enforce_and_version_drift(fleet):
    plan, docs = cluster_docs(fleet, "prod-euw1")
    for ns in items(docs, "kubernetes/namespaces.json"):
        labels = ns["metadata"]["labels"]
        if ns["metadata"]["name"] == "checkout":
            del labels["pod-security.kubernetes.io/enforce"]
        if ns["metadata"]["name"] == "data-warehouse":
            labels["pod-security.kubernetes.io/warn-version"] = "latest"
            labels["pod-security.kubernetes.io/audit"] = "baseline"
    assert diff(plan, docs) == {
        ("FI-PSA-001", "high", "Namespace/checkout", "checkout"),
        ("FI-PSA-003", "low", "Namespace/data-warehouse", "data"),
        ("FI-PSA-002", "medium", "Namespace/data-warehouse", "data"),
    }


def test_workload_identity_missing_and_undeclared_bindings(fleet):
    plan, docs = cluster_docs(fleet, "dev-weu")
    fics = docs["azure/federated-credentials.json"]
    extra = copy.deepcopy(fics[0])
    extra["properties"]["subject"] = "system:serviceaccount:checkout:checkout-web"
    extra["id"] = extra["id"].replace(extra["name"], "sneaky")
    fics[0]["properties"]["audiences"] = ["api://other"]
    found = diff(plan, docs)
    ingest = "FederatedCredential/" + plan.workload_identities[0].identity_resource + "/system:serviceaccount:data-ingest:ingest-worker"
    assert found == {
        ("FI-WI-001", "medium", ingest, "data"),
    }
    fics.append(extra)
    assert ("FI-WI-002", "high", f"FederatedCredential/{extra['id']}", "checkout") in diff(plan, docs)


def test_eks_irsa_annotation_undeclared_is_wi_002(fleet):
    plan, docs = cluster_docs(fleet, "prod-use1")
    for sa in items(docs, "kubernetes/serviceaccounts.json"):
        if sa["metadata"]["namespace"] == "checkout" and sa["metadata"]["name"] == "default":
            sa["metadata"]["annotations"] = {"eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/admin"}
    docs["aws/pod-identity-associations.json"] = [
        a for a in docs["aws/pod-identity-associations.json"] if a["namespace"] != "payments"
    ]
    assert diff(plan, docs) == {
        ("FI-WI-002", "high", "ServiceAccount/checkout/default", "checkout"),
        ("FI-WI-001", "medium", "PodIdentityAssociation/payments/payments-api", "payments"),
    }


def test_gke_settings_and_missing_cluster_viewer(fleet):
    plan, docs = cluster_docs(fleet, "prod-euw1")
    docs["gcp/cluster.json"]["authenticatorGroupsConfig"] = {"enabled": False}
    for binding in docs["gcp/project-iam.json"]["bindings"]:
        if binding["role"] == "roles/container.clusterViewer":
            binding["members"].remove("user:auditor@acme.example")
    assert diff(plan, docs) == {
        ("FI-AUTH-005", "high", "Cluster/prod-euw1/securityGroup", None),
        ("FI-AUTH-002", "medium", "ProjectIAM/acme-prod/roles/container.clusterViewer/user:auditor@acme.example", "payments"),
    }


def test_diff_unreadable_routes_to_org_owner(fleet):
    from intent.check.diff import diff_unreadable
    from intent.observe.sources import CollectError

    f = diff_unreadable(fleet.cluster("prod-weu"), CollectError("azure/cluster.json: missing"))
    assert (f.rule, f.severity.value, f.owner, f.team, f.namespace) == ("FI-COLLECT-001", "high", ORG, None, None)
    assert "azure/cluster.json: missing" in f.message


def test_aks_rbac_assignment_on_kubernetes_rbac_cluster_is_dormant_drift(fleet):
    plan, docs = cluster_docs(fleet, "dev-weu")
    cid = docs["azure/cluster.json"]["id"]
    # Even for a declared principal, at its declared level: it does not grant (Azure RBAC is off),
    # and it would the day someone switches Azure RBAC on.
    docs["azure/role-assignments.json"].append({"id": f"{cid}/namespaces/checkout/providers/Microsoft.Authorization/roleAssignments/x",
        "properties": {"principalId": "6f1c2d3e-0000-4000-8000-000000000004", "principalType": "Group",
                       "scope": f"{cid}/namespaces/checkout",
                       "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/3498e952-d568-435e-9b2c-8d77e338d7f7"}})
    obj = f"RoleAssignment/{cid}/namespaces/checkout/Azure Kubernetes Service RBAC Admin/group:6f1c2d3e-0000-4000-8000-000000000004"
    assert diff(plan, docs) == {("FI-AUTH-003", "high", obj, "checkout")}


def test_one_finding_per_object_when_a_mapping_grants_in_several_namespaces(fleet):
    import yaml

    plan, docs = cluster_docs(fleet, "legacy-usw2")
    data = docs["kubernetes/aws-auth.json"]["data"]
    roles = yaml.safe_load(data["mapRoles"])
    roles.append({"rolearn": "arn:aws:iam::111122223333:role/intern", "groups": ["fleet-intent:payments:edit"]})
    data["mapRoles"] = yaml.safe_dump(roles)
    from intent.check.run import observe
    from intent.check.diff import diff_cluster

    [finding] = diff_cluster(plan, observe(plan, docs))
    assert (finding.rule, finding.object, finding.team, finding.namespace) == (
        "FI-AUTH-003", "aws-auth/mapRoles/arn:aws:iam::111122223333:role/intern", "payments", None)
    assert "payments-batch" in finding.actual


def test_eks_wildcard_access_scope_covers_matching_namespaces_and_is_broader(fleet):
    # `payments*` reaches payments and payments-batch (nothing declared is missing) and every
    # namespace created later with that prefix: broader than the two names the intent grants.
    plan, docs = cluster_docs(fleet, "prod-use1")
    for entry in docs["aws/access-entries.json"]:
        if entry["accessEntry"]["principalArn"].endswith("role/payments-dev"):
            entry["associatedAccessPolicies"][0]["accessScope"]["namespaces"] = ["payments*"]
    assert diff(plan, docs) == {
        ("FI-AUTH-004", "high", "AccessEntry/arn:aws:iam::111122223333:role/payments-dev", "payments"),
    }


def test_eks_wildcard_access_scope_matches_whole_names_only():
    from intent.check.diff_access import covers

    assert covers(("dev-*",), "dev-a") and covers(("*",), "anything") and covers(("a*z",), "abcz")
    assert not covers(("dev-*",), "prod-dev-a") and not covers(("dev-*",), None)
    assert not covers(("dev.*",), "devxa")  # only `*` is special
    assert covers(("payments",), "payments") and not covers(("payments",), "payments-batch")


def test_missing_aws_auth_mapping_is_named_as_generate_writes_it(fleet):
    # A role loses its IAM path in aws-auth; a user keeps it.
    import dataclasses

    from intent.check.diff_access import expected_object
    from translators.eks.render import aws_auth_mappings

    plan = fleet.cluster("legacy-usw2")
    grants = (
        dataclasses.replace(plan.grants[0], principal="arn:aws:iam::111122223333:role/ci/deployer"),
        dataclasses.replace(plan.grants[0], principal="arn:aws:iam::111122223333:user/ops/alice"),
    )
    plan = dataclasses.replace(plan, grants=grants)
    roles, users = aws_auth_mappings(plan)
    written = {f"aws-auth/mapRoles/{r['rolearn']}" for r in roles} | {f"aws-auth/mapUsers/{u['userarn']}" for u in users}
    named = {expected_object(plan, grant, None) for grant in grants}
    assert named == {"aws-auth/mapRoles/arn:aws:iam::111122223333:role/deployer",
                     "aws-auth/mapUsers/arn:aws:iam::111122223333:user/ops/alice"}
    assert named <= written
