"""What `generate` emits per provider and mode (SPEC §4), read back through python-hcl2."""

from __future__ import annotations

import functools

import pytest
import yaml

from conftest import NOW
from generate_support import (
    blocks,
    example_data,
    of_type,
    parse,
    parse_tf,
    render,
    strings,
    unquote,
    yamlencode_argument,
)

POLICY = "arn:aws:eks::aws:cluster-access-policy/"
AKS_ROLES = {
    "view": "Azure Kubernetes Service RBAC Reader",
    "edit": "Azure Kubernetes Service RBAC Writer",
    "admin": "Azure Kubernetes Service RBAC Admin",
}


@functools.cache
def example():
    loaded = parse(example_data())
    return loaded, render(loaded)


def plan_of(name: str):
    from intent.plan import plan_fleet

    loaded, _ = example()
    return plan_fleet(loaded.intent, NOW, [name]).clusters[0]


def cluster_files(name: str) -> dict[str, str]:
    _, files = example()
    return {p: t for p, t in files.items() if p.startswith(f"clusters/{name}/")}


def expected_eks_associations(plan) -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    """(principal, policy) -> (scope type, namespaces), merged as EKS requires."""
    names = {"view": "AmazonEKSViewPolicy", "edit": "AmazonEKSEditPolicy", "admin": "AmazonEKSAdminPolicy", "cluster-admin": "AmazonEKSClusterAdminPolicy"}
    merged: dict[tuple[str, str], set | None] = {}
    for grant in plan.grants:
        key = (grant.principal, POLICY + names[grant.level])
        if grant.scope == "cluster":
            merged[key] = None
        elif key not in merged:
            merged[key] = set(grant.namespaces)
        elif merged[key] is not None:
            merged[key] |= set(grant.namespaces)
    return {k: ("cluster", ()) if v is None else ("namespace", tuple(sorted(v))) for k, v in merged.items()}


def eks_associations(files: dict[str, str], cluster: str) -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    found = blocks(files, cluster)
    entries = of_type(found, "aws_eks_access_entry")
    out = {}
    for body in of_type(found, "aws_eks_access_policy_association").values():
        reference = body["principal_arn"]
        assert reference.startswith("${aws_eks_access_entry.") and reference.endswith(".principal_arn}")
        entry = entries[reference[len("${aws_eks_access_entry.") : -len(".principal_arn}")]]
        scope = strings(body["access_scope"])
        assert len(scope) == 1
        key = (unquote(entry["principal_arn"]), unquote(body["policy_arn"]))
        assert key not in out, f"two associations of {key}: EKS accepts one per policy and entry"
        out[key] = (scope[0]["type"], tuple(scope[0].get("namespaces", ())))
        assert unquote(body["cluster_name"]) == cluster
    return out


@pytest.mark.parametrize("cluster", ["prod-use1", "stage-use1"])
def test_eks_access_api_modes_entries_and_associations_match_grants(cluster):
    files = cluster_files(cluster)
    plan = plan_of(cluster)
    entries = of_type(blocks(files, cluster), "aws_eks_access_entry")
    assert {unquote(e["principal_arn"]) for e in entries.values()} == {g.principal for g in plan.grants}
    assert all(unquote(e["type"]) == "STANDARD" and unquote(e["cluster_name"]) == cluster for e in entries.values())
    assert eks_associations(files, cluster) == expected_eks_associations(plan)
    # API and API_AND_CONFIG_MAP: access entries only, no aws-auth at all.
    assert not any("aws-auth" in path or "config_map" in text for path, text in files.items())
    assert f"clusters/{cluster}/rbac.tf" not in files


def test_eks_access_api_mode_spot_checks_policies_and_scopes():
    found = eks_associations(cluster_files("prod-use1"), "prod-use1")
    assert found[("arn:aws:iam::111122223333:role/platform-admin", POLICY + "AmazonEKSClusterAdminPolicy")] == ("cluster", ())
    assert found[("arn:aws:iam::111122223333:role/security-audit", POLICY + "AmazonEKSViewPolicy")] == ("cluster", ())
    assert found[("arn:aws:iam::111122223333:role/payments-dev", POLICY + "AmazonEKSEditPolicy")] == ("namespace", ("payments", "payments-batch"))
    assert found[("arn:aws:iam::444455556666:user/payments-auditor", POLICY + "AmazonEKSViewPolicy")] == ("namespace", ("payments", "payments-batch"))
    assert found[("arn:aws:iam::111122223333:role/checkout-lead", POLICY + "AmazonEKSAdminPolicy")] == ("namespace", ("checkout",))
    assert found[("arn:aws:iam::111122223333:role/ci/checkout-deployer", POLICY + "AmazonEKSEditPolicy")] == ("namespace", ("checkout",))


def test_eks_access_same_principal_in_two_teams_merges_into_one_association():
    data = example_data()
    shared = "arn:aws:iam::111122223333:role/payments-dev"
    data["teams"][1]["access"][1]["aws"].append(shared)  # checkout edit
    data["clusterAccess"][1]["aws"].append("arn:aws:iam::444455556666:user/payments-auditor")  # cluster view
    files = render(parse(data), ["prod-use1"])
    found = eks_associations(files, "prod-use1")
    assert found[(shared, POLICY + "AmazonEKSEditPolicy")] == ("namespace", ("checkout", "payments", "payments-batch"))
    # A cluster-wide view absorbs the namespaced view of the same principal.
    assert found[("arn:aws:iam::444455556666:user/payments-auditor", POLICY + "AmazonEKSViewPolicy")] == ("cluster", ())
    assert found == expected_eks_associations(render_plan(data, "prod-use1"))


def render_plan(data, name):
    from intent.plan import plan_fleet

    return plan_fleet(parse(data).intent, NOW, [name]).clusters[0]


def test_eks_pod_identity_associations_match_workload_identities():
    for cluster in ("prod-use1", "stage-use1", "legacy-usw2"):
        plan = plan_of(cluster)
        found = of_type(blocks(cluster_files(cluster), cluster), "aws_eks_pod_identity_association")
        got = {(unquote(b["cluster_name"]), unquote(b["namespace"]), unquote(b["service_account"]), unquote(b["role_arn"])) for b in found.values()}
        assert got == {(cluster, w.namespace, w.service_account, w.identity) for w in plan.workload_identities}
        assert got


def config_map_data():
    data = example_data()
    data["clusters"][2]["teams"] = ["payments", "data", "checkout"]  # legacy-usw2 gets role/ci/checkout-deployer
    loaded = parse(data)
    return render(loaded, ["legacy-usw2"]), render_plan(data, "legacy-usw2")


def test_eks_config_map_aws_auth_maps_nodes_teams_and_cluster_groups():
    files, plan = config_map_data()
    found = blocks(files, "legacy-usw2")
    assert not of_type(found, "aws_eks_access_entry") and not of_type(found, "aws_eks_access_policy_association")
    config = of_type(found, "kubernetes_config_map_v1_data")["aws_auth"]
    assert strings(config["metadata"]) == [{"name": "aws-auth", "namespace": "kube-system"}]
    assert config["force"] is True
    roles = yamlencode_argument(config["data"]["mapRoles"])
    users = yamlencode_argument(config["data"]["mapUsers"])
    assert roles[0] == {
        "rolearn": "arn:aws:iam::111122223333:role/legacy-usw2-nodes",
        "username": "system:node:{{EC2PrivateDNSName}}",
        "groups": ["system:bootstrappers", "system:nodes"],
    }
    by_arn = {r["rolearn"]: r for r in roles}
    # aws-auth matches the assumed-role ARN, which has no IAM path.
    deployer = by_arn["arn:aws:iam::111122223333:role/checkout-deployer"]
    assert deployer["username"] == "arn:aws:sts::111122223333:assumed-role/checkout-deployer/{{SessionName}}"
    assert deployer["groups"] == ["fleet-intent:checkout:edit"]
    assert not any("role/ci/" in r["rolearn"] for r in roles)
    assert by_arn["arn:aws:iam::111122223333:role/platform-admin"]["groups"] == ["fleet-intent:cluster-admin"]
    assert by_arn["arn:aws:iam::111122223333:role/security-audit"]["groups"] == ["fleet-intent:cluster-view"]
    assert by_arn["arn:aws:iam::111122223333:role/payments-dev"]["groups"] == ["fleet-intent:payments:edit"]
    assert users == [
        {
            "userarn": "arn:aws:iam::444455556666:user/payments-auditor",
            "username": "arn:aws:iam::444455556666:user/payments-auditor",
            "groups": ["fleet-intent:payments:view"],
        }
    ]
    expected_roles = {g.principal.split("/")[-1] for g in plan.grants if ":role/" in g.principal}
    assert {r["rolearn"].split("/")[-1] for r in roles[1:]} == expected_roles
    # Only the admission guard names system:masters: to refuse it in aws-auth, and as the
    # bootstrap cluster-admin binding's subject (intent/admission.py).
    assert all("system:masters" not in text for path, text in files.items() if "admission" not in path)


def test_eks_config_map_manifest_equals_terraform_data():
    files, _ = config_map_data()
    manifest = yaml.safe_load(files["clusters/legacy-usw2/manifests/aws-auth.yaml"])
    assert manifest["kind"] == "ConfigMap" and manifest["apiVersion"] == "v1"
    assert manifest["metadata"]["name"] == "aws-auth" and manifest["metadata"]["namespace"] == "kube-system"
    config = of_type(blocks(files, "legacy-usw2"), "kubernetes_config_map_v1_data")["aws_auth"]
    assert yaml.safe_load(manifest["data"]["mapRoles"]) == yamlencode_argument(config["data"]["mapRoles"])
    assert yaml.safe_load(manifest["data"]["mapUsers"]) == yamlencode_argument(config["data"]["mapUsers"])


def bindings(files: dict[str, str], cluster: str, rtype: str) -> dict[tuple, set[tuple[str, str]]]:
    """(namespace or None, ClusterRole) -> {(subject kind, name)}."""
    out: dict[tuple, set] = {}
    for body in of_type(blocks(files, cluster), rtype).values():
        meta = strings(body["metadata"])[0]
        role = strings(body["role_ref"])[0]
        assert role == {"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role["name"]}
        key = (meta.get("namespace"), role["name"])
        subjects = {(s["kind"], s["name"]) for s in strings(body["subject"])}
        assert all(s["api_group"] == "rbac.authorization.k8s.io" for s in strings(body["subject"]))
        out.setdefault(key, set()).update(subjects)
    return out


def expected_bindings(plan, subject) -> tuple[dict, dict]:
    namespaced: dict[tuple, set] = {}
    cluster: dict[tuple, set] = {}
    for grant in plan.grants:
        if grant.scope == "cluster":
            cluster.setdefault((None, grant.level), set()).add(subject(grant))
        else:
            for ns in grant.namespaces:
                namespaced.setdefault((ns, grant.level), set()).add(subject(grant))
    return namespaced, cluster


def test_eks_config_map_rbac_binds_fleet_intent_groups():
    files, plan = config_map_data()
    from translators.eks.render import aws_auth_group

    namespaced, cluster = expected_bindings(plan, lambda g: ("Group", aws_auth_group(g)))
    assert bindings(files, "legacy-usw2", "kubernetes_role_binding_v1") == namespaced
    assert bindings(files, "legacy-usw2", "kubernetes_cluster_role_binding_v1") == cluster
    assert cluster[(None, "cluster-admin")] == {("Group", "fleet-intent:cluster-admin")}
    assert cluster[(None, "view")] == {("Group", "fleet-intent:cluster-view")}


def test_gke_rbac_binds_google_principals_by_kind():
    files = cluster_files("prod-euw1")
    plan = plan_of("prod-euw1")
    namespaced, cluster = expected_bindings(plan, lambda g: ("Group" if g.kind == "group" else "User", g.subject))
    assert bindings(files, "prod-euw1", "kubernetes_role_binding_v1") == namespaced
    assert bindings(files, "prod-euw1", "kubernetes_cluster_role_binding_v1") == cluster
    assert ("User", "checkout-deployer@acme-prod.iam.gserviceaccount.com") in namespaced[("checkout", "edit")]
    assert ("User", "auditor@acme.example") in namespaced[("payments", "view")]
    assert cluster[(None, "cluster-admin")] == {("Group", "platform-admins@acme.example")}


def test_gke_project_iam_grants_cluster_viewer_to_every_principal():
    plan = plan_of("prod-euw1")
    members = of_type(blocks(cluster_files("prod-euw1"), "prod-euw1"), "google_project_iam_member").values()
    got = {(unquote(m["project"]), unquote(m["role"]), unquote(m["member"])) for m in members}
    assert got == {("acme-prod", "roles/container.clusterViewer", g.principal) for g in plan.grants}


def test_gke_workload_identity_binds_ksa_to_gsa_and_annotates_ksa():
    plan = plan_of("prod-euw1")
    found = blocks(cluster_files("prod-euw1"), "prod-euw1")
    got = {
        (unquote(b["service_account_id"]), unquote(b["role"]), unquote(b["member"]))
        for b in of_type(found, "google_service_account_iam_member").values()
    }
    assert ("projects/acme-data/serviceAccounts/ingest-worker@acme-data.iam.gserviceaccount.com", "roles/iam.workloadIdentityUser", "serviceAccount:acme-prod.svc.id.goog[data-ingest/ingest-worker]") in got
    assert len(got) == len(plan.workload_identities) == 3
    accounts = {
        (m["namespace"], m["name"]): m["annotations"]
        for m in (strings(b["metadata"])[0] for b in of_type(found, "kubernetes_service_account_v1").values())
    }
    assert accounts == {(w.namespace, w.service_account): {"iam.gke.io/gcp-service-account": w.identity} for w in plan.workload_identities}


def role_assignments(cluster: str) -> set[tuple[str, str, str, str]]:
    found = of_type(blocks(cluster_files(cluster), cluster), "azurerm_role_assignment").values()
    return {(unquote(a["scope"]), unquote(a["role_definition_name"]), unquote(a["principal_id"]), unquote(a["principal_type"])) for a in found}


def azure_type(grant) -> str:
    return {"group": "Group", "user": "User", "servicePrincipal": "ServicePrincipal"}[grant.kind]


def test_aks_azure_rbac_assigns_namespace_cluster_and_user_roles():
    plan = plan_of("prod-weu")
    cluster_id = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
    expected = set()
    for grant in plan.grants:
        oid, kind = grant.subject.lower(), azure_type(grant)
        expected.add((cluster_id, "Azure Kubernetes Service Cluster User Role", oid, kind))
        if grant.scope == "cluster":
            role = "Azure Kubernetes Service RBAC Cluster Admin" if grant.level == "cluster-admin" else "Azure Kubernetes Service RBAC Reader"
            expected.add((cluster_id, role, oid, kind))
        else:
            expected |= {(f"{cluster_id}/namespaces/{ns}", AKS_ROLES[grant.level], oid, kind) for ns in grant.namespaces}
    assert role_assignments("prod-weu") == expected
    assert (f"{cluster_id}/namespaces/payments", "Azure Kubernetes Service RBAC Reader", "6f1c2d3e-0000-4000-8000-000000000003", "User") in expected
    assert "clusters/prod-weu/rbac.tf" not in cluster_files("prod-weu")


def test_aks_kubernetes_rbac_binds_object_ids_and_only_assigns_cluster_user_role():
    plan = plan_of("dev-weu")
    cluster_id = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000b/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/dev-weu"
    assert role_assignments("dev-weu") == {
        (cluster_id, "Azure Kubernetes Service Cluster User Role", g.subject.lower(), azure_type(g)) for g in plan.grants
    }
    files = cluster_files("dev-weu")
    namespaced, cluster = expected_bindings(plan, lambda g: ("Group" if g.kind == "group" else "User", g.subject.lower()))
    assert bindings(files, "dev-weu", "kubernetes_role_binding_v1") == namespaced
    assert bindings(files, "dev-weu", "kubernetes_cluster_role_binding_v1") == cluster
    assert ("User", "6f1c2d3e-0000-4000-8000-000000000005") in namespaced[("checkout", "edit")]


def test_aks_workload_identity_federates_issuer_and_annotates_ksa():
    plan = plan_of("prod-weu")
    found = blocks(cluster_files("prod-weu"), "prod-weu")
    data = blocks(cluster_files("prod-weu"), "prod-weu", kind="data")
    assert strings(data[("azurerm_kubernetes_cluster", "this")]) == {"name": "prod-weu", "resource_group_name": "rg-prod"}
    credentials = of_type(found, "azurerm_federated_identity_credential").values()
    got = set()
    for c in credentials:
        assert [unquote(a) for a in c["audience"]] == ["api://AzureADTokenExchange"]
        assert c["issuer"] == "${data.azurerm_kubernetes_cluster.this.oidc_issuer_url}"
        assert set(c) - {"__is_block__"} == {"name", "user_assigned_identity_id", "audience", "issuer", "subject"}
        got.add((unquote(c["user_assigned_identity_id"]), unquote(c["subject"])))
    assert got == {(w.identity_resource, f"system:serviceaccount:{w.namespace}:{w.service_account}") for w in plan.workload_identities}
    accounts = {
        (m["namespace"], m["name"]): m["annotations"]
        for m in (strings(b["metadata"])[0] for b in of_type(found, "kubernetes_service_account_v1").values())
    }
    assert accounts == {(w.namespace, w.service_account): {"azure.workload.identity/client-id": w.identity} for w in plan.workload_identities}


@pytest.mark.parametrize("cluster", ["prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu"])
def test_namespaces_module_call_carries_every_namespace_with_effective_psa(cluster):
    plan = plan_of(cluster)
    parsed = strings(parse_tf(cluster_files(cluster)[f"clusters/{cluster}/namespaces.tf"]))
    call = parsed["module"][0]["namespaces"]
    assert call["source"] == "../../modules/namespaces"
    expected = {
        ns.name: {
            "pod_security": {
                "enforce": ns.pod_security.enforce.value,
                "audit": ns.pod_security.audit.value,
                "warn": ns.pod_security.warn.value,
                "version": ns.pod_security.version,
            },
            "labels": {k: v for k, v in ns.labels if not k.startswith("pod-security.kubernetes.io/")},
            "annotations": dict(ns.annotations),
        }
        for ns in plan.namespaces
    }
    assert call["namespaces"] == expected
    for entry in expected.values():
        assert entry["labels"]["app.kubernetes.io/managed-by"] == "fleet-intent"


def test_namespaces_module_creates_one_namespace_per_entry_with_psa_labels():
    _, files = example()
    main = parse_tf(files["modules/namespaces/main.tf"])
    resource = main["resource"][0]['"kubernetes_namespace_v1"']['"this"']
    assert resource["for_each"] == "${var.namespaces}"
    labels = resource["metadata"][0]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert f'"pod-security.kubernetes.io/{mode}"' in labels
        assert f'"pod-security.kubernetes.io/{mode}-version"' in labels
    variables = parse_tf(files["modules/namespaces/variables.tf"])
    assert '"namespaces"' in variables["variable"][0]
    assert set(f.rsplit("/", 1)[1] for f in files if f.startswith("modules/namespaces/")) == {"versions.tf", "variables.tf", "main.tf", "outputs.tf"}


@pytest.mark.parametrize(
    "cluster,provider",
    [
        ("prod-use1", ("aws", "hashicorp/aws", ">= 5.33, < 7.0")),
        ("stage-use1", ("aws", "hashicorp/aws", ">= 5.33, < 7.0")),
        ("prod-euw1", ("google", "hashicorp/google", ">= 6.50, < 8.0")),
        ("dev-weu", ("azurerm", "hashicorp/azurerm", ">= 4.65, < 6.0")),
    ],
)
def test_cluster_root_pins_providers(cluster, provider):
    files = cluster_files(cluster)
    versions = strings(parse_tf(files[f"clusters/{cluster}/versions.tf"]))
    required = versions["terraform"][0]["required_providers"][0]
    name, source, version = provider
    assert required[name] == {"source": source, "version": version}
    assert required["kubernetes"] == {"source": "hashicorp/kubernetes", "version": "~> 3.0"}
    providers = strings(parse_tf(files[f"clusters/{cluster}/providers.tf"]))["provider"]
    assert {next(iter(p)) for p in providers} == {name}  # dev-weu also has an aliased azurerm (D2)
    kubernetes = strings(parse_tf(files[f"clusters/{cluster}/kubernetes.tf"]))["provider"]
    assert [next(iter(p)) for p in kubernetes] == ["kubernetes"]


# How each cloud's root reaches the Kubernetes API by default (SPEC §11, "Reaching the cluster"):
# the cloud's own record of the cluster and a credential plugin run at each plan, so no
# kubeconfig context named after the cluster is needed and no token lands in Terraform state.
# Sources: aws CLI `aws eks get-token` (awscli/customizations/eks/get_token.py), GKE's
# gke-gcloud-auth-plugin (cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl),
# Azure/kubelogin `get-token` (docs/book/src/cli/get-token.md); the provider's exec block:
# terraform-provider-kubernetes kubernetes/provider.go (`exec` with api_version, command, args).
CLOUD_CLUSTER = {
    "prod-use1": (
        ("aws_eks_cluster", {"name": "prod-use1"}),
        "${data.aws_eks_cluster.this.endpoint}",
        ["aws", "eks", "get-token", "--cluster-name", "prod-use1", "--region", "us-east-1", "--output", "json"],
    ),
    "prod-euw1": (
        ("google_container_cluster", {"project": "acme-prod", "location": "europe-west1", "name": "prod-euw1"}),
        '${format("https://%s", data.google_container_cluster.this.endpoint)}',
        ["gke-gcloud-auth-plugin"],
    ),
    "dev-weu": (
        ("azurerm_kubernetes_cluster", {"name": "dev-weu", "resource_group_name": "rg-dev"}),
        "${data.azurerm_kubernetes_cluster.this.kube_config[0].host}",
        ["kubelogin", "get-token", "--login", "${var.kubelogin_login}", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
    ),
}


@pytest.mark.parametrize("cluster", sorted(CLOUD_CLUSTER))
def test_kubernetes_provider_reaches_the_cluster_the_cloud_reports(cluster):
    (data_type, identity), host, command = CLOUD_CLUSTER[cluster]
    files = cluster_files(cluster)
    data = strings(parse_tf(files[f"clusters/{cluster}/providers.tf"]))["data"]
    assert data == [{data_type: {"this": identity}}]
    provider = strings(parse_tf(files[f"clusters/{cluster}/kubernetes.tf"]))["provider"][0]["kubernetes"]
    assert provider["host"] == host
    assert provider["cluster_ca_certificate"].startswith(f"${{base64decode(data.{data_type}.this.")
    assert "config_context" not in provider and "token" not in provider
    (plugin,) = provider["exec"]
    assert plugin["api_version"] == "client.authentication.k8s.io/v1beta1"
    assert [plugin["command"], *plugin.get("args", [])] == command
    assert f"clusters/{cluster}/variables.tf" not in files


def test_kube_context_selects_the_kubeconfig_route():
    """stage-use1 names its kubeconfig context in the intent: the root reads that context and
    does not read the cloud's cluster data."""
    files = cluster_files("stage-use1")
    variables = parse_tf(files["clusters/stage-use1/variables.tf"])["variable"]
    declared = {unquote(k): v for item in variables for k, v in item.items()}
    assert {"kubeconfig_path", "kubeconfig_context", "kubernetes_host", "kubernetes_cluster_ca_certificate", "kubernetes_token"} <= set(declared)
    assert all("description" in v for v in declared.values())
    assert unquote(declared["kubeconfig_context"]["default"]) == "arn:aws:eks:us-east-1:111122223333:cluster/stage-use1"
    provider = strings(parse_tf(files["clusters/stage-use1/kubernetes.tf"]))["provider"][0]["kubernetes"]
    assert provider["config_context"] == "${var.kubeconfig_context}"
    assert "data" not in parse_tf(files["clusters/stage-use1/providers.tf"])


def test_cluster_roots_reference_only_what_they_declare():
    """Every `var.X` and `data.T.N` a root uses is declared in that root, and no root reads a data
    source that would put a bearer token in Terraform state (aws_eks_cluster_auth, google_client_config)."""
    import re

    _, files = example()
    roots = sorted({p.split("/")[1] for p in files if p.startswith("clusters/")})
    for root in roots:
        texts = [t for p, t in files.items() if p.startswith(f"clusters/{root}/") and p.endswith(".tf")]
        declared_vars, declared_data = set(), set()
        for text in texts:
            parsed = parse_tf(text)
            declared_vars |= {unquote(k) for item in parsed.get("variable", []) for k in item}
            declared_data |= {f"{unquote(t)}.{unquote(n)}" for item in parsed.get("data", []) for t, named in item.items() for n in named}
        used = "\n".join(texts)
        assert set(re.findall(r"(?<![\w.@-])var\.([a-z_]+)", used)) <= declared_vars, root
        assert set(re.findall(r"(?<![\w.@-])data\.([a-z_]+\.[a-z_]+)", used)) <= declared_data, root
        assert not declared_data & {"aws_eks_cluster_auth.this", "google_client_config.this"}, root


def test_cluster_roots_are_literal_without_for_each_count_or_locals():
    _, files = example()
    for path, text in files.items():
        if not path.startswith("clusters/") or not path.endswith(".tf"):
            continue
        parsed = parse_tf(text)
        assert "locals" not in parsed, path
        for item in parsed.get("resource", []):
            for named in item.values():
                for body in named.values():
                    assert "for_each" not in body and "count" not in body, path


def test_aks_cluster_scope_uses_provider_settings():
    provider = strings(parse_tf(cluster_files("prod-weu")["clusters/prod-weu/providers.tf"]))["provider"]
    azurerm = next(p["azurerm"] for p in provider if "azurerm" in p)
    assert azurerm["subscription_id"] == "0b0c0d0e-0000-4000-8000-00000000000a"


def test_eks_config_map_manifest_lists_are_plain_safe_dumps():
    from translators.eks.render import aws_auth_mappings, mapping_yaml

    _, plan = config_map_data()
    for entries in aws_auth_mappings(plan):
        assert mapping_yaml(entries) == yaml.safe_dump(entries, sort_keys=False, default_flow_style=False)
