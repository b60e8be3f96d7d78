"""A deterministic synthetic snapshot directory (SPEC §7 layout) for a planned fleet.

Each cluster's documents are derived from its `ClusterPlan` in the native JSON shapes of
`fixtures/snapshots/compliant` (kubectl, aws, gcloud and az outputs): namespaces carrying the
plan's labels, EKS access entries / aws-auth mappings, Kubernetes bindings, GKE project IAM,
AKS role assignments, workload identity bindings and annotated service accounts. The objects
Kubernetes and the providers create themselves (system namespaces, bootstrap RBAC, node
mappings) are copied from the compliant fixtures, so documents are as large as real ones.

With `drift_percent=0` the snapshot matches the intent (a check finds nothing). Otherwise
that share of the "drift units" (namespaces and grant objects: access entries, aws-auth
mappings, (Cluster)RoleBindings, role assignments) is drifted, chosen by a hash of
(cluster, object), so the same arguments always give the same bytes. Each drifted unit is
expected to give one finding:

- a namespace is relabelled weaker (enforce=privileged -> FI-PSA-002; where the plan already
  enforces privileged, the enforce label is dropped -> FI-PSA-001);
- a grant object is dropped (FI-AUTH-002), or
- an undeclared principal gets a grant next to it (FI-AUTH-003).

    python -m benchmarks.snapshot_synth --clusters 1000 --drift 5 OUT_DIR   # writes fleet.yaml too
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import sys
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
COMPLIANT = REPO / "fixtures" / "snapshots" / "compliant"
NOW = dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc)
TIMESTAMP = "2026-03-02T09:14:07Z"
TENANT = "72f988bf-0000-4000-8000-0000000000aa"
NS_UUID = uuid.UUID("5b0c6a4e-9d0f-4c43-9d1e-0f1e2d3c4b5a")

POLICY = {
    "view": "AmazonEKSViewPolicy",
    "edit": "AmazonEKSEditPolicy",
    "admin": "AmazonEKSAdminPolicy",
    "cluster-admin": "AmazonEKSClusterAdminPolicy",
}
AKS_RBAC_ROLE = {
    "view": ("7f6c6a51-bcf8-42ba-9220-52d62157d7db", "Azure Kubernetes Service RBAC Reader"),
    "edit": ("a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb", "Azure Kubernetes Service RBAC Writer"),
    "admin": ("3498e952-d568-435e-9b2c-8d77e338d7f7", "Azure Kubernetes Service RBAC Admin"),
    "cluster-admin": ("b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b", "Azure Kubernetes Service RBAC Cluster Admin"),
}
AKS_USER_ROLE = ("4abbcc35-e782-43d8-92c5-2d3f1bd2253f", "Azure Kubernetes Service Cluster User Role")
AZURE_TYPES = {"group": "Group", "user": "User", "servicePrincipal": "ServicePrincipal"}
ANNOTATION = {"gke": "iam.gke.io/gcp-service-account", "aks": "azure.workload.identity/client-id"}


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(NS_UUID, "/".join(parts)))


def _hex(*parts: str, size: int = 17) -> str:
    return uuid.uuid5(NS_UUID, "/".join(parts)).hex[:size]


# --- what the providers and Kubernetes create themselves (copied from the compliant fixtures) ---

def _load(cluster: str, rel: str) -> Any:
    return json.loads((COMPLIANT / cluster / rel).read_text(encoding="utf-8"))


def _system_items(cluster: str, rel: str) -> list[dict[str, Any]]:
    """The items of a fixture list that fleet-intent did not write (Kubernetes' and the provider's own)."""
    out = []
    for item in _load(cluster, rel)["items"]:
        meta = item["metadata"]
        if (meta.get("labels") or {}).get("app.kubernetes.io/managed-by") == "fleet-intent":
            continue
        if meta["name"].startswith("fleet-intent"):
            continue
        if rel.endswith("serviceaccounts.json") and meta.get("annotations"):
            continue
        out.append(item)
    return out


class _System:
    """Per provider: system namespaces, bootstrap bindings and system service accounts."""

    FIXTURE = {"eks": "prod-use1", "gke": "prod-euw1", "aks": "prod-weu"}
    SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")

    def __init__(self) -> None:
        self.namespaces: dict[str, list] = {}
        self.rolebindings: dict[str, list] = {}
        self.clusterrolebindings: dict[str, list] = {}
        self.serviceaccounts: dict[str, list] = {}
        for provider, fixture in self.FIXTURE.items():
            ns = [i for i in _load(fixture, "kubernetes/namespaces.json")["items"]
                  if (i["metadata"].get("labels") or {}).get("app.kubernetes.io/managed-by") != "fleet-intent"]
            self.namespaces[provider] = ns
            names = {i["metadata"]["name"] for i in ns}
            self.rolebindings[provider] = [i for i in _system_items(fixture, "kubernetes/rolebindings.json")
                                           if i["metadata"].get("namespace") in names]
            self.clusterrolebindings[provider] = _system_items(fixture, "kubernetes/clusterrolebindings.json")
            self.serviceaccounts[provider] = [i for i in _system_items(fixture, "kubernetes/serviceaccounts.json")
                                              if i["metadata"].get("namespace") in names]


# --- the documents of one cluster ---------------------------------------------------------------

@dataclass
class Stats:
    """What was written and drifted (drifted units by kind; each is expected to give one finding)."""

    clusters: int = 0
    files: int = 0
    bytes: int = 0
    units: int = 0
    drifted: Counter = field(default_factory=Counter)

    @property
    def expected_findings(self) -> int:
        return sum(self.drifted.values())


class _Cluster:
    """Builds the documents of one cluster, drifting units as it goes."""

    def __init__(self, plan, system: _System, drift_percent: float, stats: Stats) -> None:
        self.plan = plan
        self.c = plan.cluster
        self.system = system
        self.threshold = int(drift_percent * 100)  # out of 10,000
        self.stats = stats
        self.extra = 0  # undeclared principals added on this cluster

    # drift ----------------------------------------------------------------------------------

    def drift(self, unit: str) -> str | None:
        """None, or how unit `unit` drifts ('relabel' for namespaces; 'drop' or 'add' for grants)."""
        self.stats.units += 1
        h = zlib.crc32(f"{self.c.name}\0{unit}".encode())
        if h % 10000 >= self.threshold:
            return None
        if unit.startswith("Namespace/"):
            how = "relabel"
        else:
            how = "drop" if (h >> 16) % 2 else "add"
        self.stats.drifted[how] += 1
        return how

    def stranger(self) -> str:
        """An undeclared principal in the provider's spelling."""
        self.extra += 1
        n = zlib.crc32(f"{self.c.name}/{self.extra}".encode())
        if self.c.provider == "eks":
            return f"arn:aws:iam::{self.c.account_id}:role/drift-{n:08x}"
        if self.c.provider == "gke":
            return f"user:drift-{n:08x}@acme.example"
        return f"user:{_uid('drift', self.c.name, str(self.extra))}"

    # kubernetes -----------------------------------------------------------------------------

    def namespaces(self) -> dict[str, Any]:
        items = copy.deepcopy(self.system.namespaces[self.c.provider])
        for ns in self.plan.namespaces:
            labels = dict(ns.labels)
            labels["kubernetes.io/metadata.name"] = ns.name
            if self.drift(f"Namespace/{ns.name}") == "relabel":
                if ns.pod_security.enforce.value == "privileged":
                    del labels["pod-security.kubernetes.io/enforce"]
                else:
                    labels["pod-security.kubernetes.io/enforce"] = "privileged"
            meta = {"creationTimestamp": TIMESTAMP, "labels": labels, "name": ns.name,
                    "resourceVersion": str(1000 + len(items)), "uid": _uid(self.c.name, "ns", ns.name)}
            if ns.annotations:
                meta["annotations"] = dict(ns.annotations)
            items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": meta,
                          "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        return _k8s_list(sorted(items, key=lambda i: i["metadata"]["name"]))

    def service_accounts(self) -> dict[str, Any]:
        items = copy.deepcopy(self.system.serviceaccounts[self.c.provider])
        for ns in self.plan.namespaces:
            items.append(_sa(self.c.name, ns.name, "default", None))
        annotation = ANNOTATION.get(self.c.provider)
        for wi in self.plan.workload_identities:
            notes = {annotation: wi.identity} if annotation else None
            items.append(_sa(self.c.name, wi.namespace, wi.service_account, notes))
        return _k8s_list(sorted(items, key=lambda i: (i["metadata"]["namespace"], i["metadata"]["name"])))

    def admin_groups(self) -> list[str]:
        """The Entra groups of the plan's cluster-scope cluster-admin grants (AKS admin groups)."""
        return [g.subject for g in self.plan.grants if g.level == "cluster-admin" and g.scope == "cluster" and g.kind == "group"]

    @staticmethod
    def subject(principal: str, provider: str) -> dict[str, str]:
        """An RBAC subject for an intent principal on GKE/AKS (or an EKS group name)."""
        kind, _, rest = principal.partition(":")
        if provider == "eks":
            return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": principal}
        return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group" if kind == "group" else "User", "name": rest}

    def bindings(self, subjects: list[tuple[str, str, str, str | None, bool]]) -> tuple[dict, dict]:
        """(rolebindings, clusterrolebindings) lists for (unit, subject principal, level, namespace, drift?) rows."""
        role_items = copy.deepcopy(self.system.rolebindings[self.c.provider])
        cluster_items = copy.deepcopy(self.system.clusterrolebindings[self.c.provider])
        for item in cluster_items:
            if item["metadata"]["name"] == "aks-cluster-admin-binding-aad":  # AKS binds aadProfile.adminGroupObjectIDs
                item["subjects"] = [self.subject(f"group:{g}", "aks") for g in self.admin_groups()]
        for unit, principal, level, namespace, driftable in subjects:
            how = self.drift(unit) if driftable else None
            rows = [] if how == "drop" else [principal]
            if how == "add":
                rows.append(self.stranger())
            for n, who in enumerate(rows):
                name = f"fleet-intent-{level}-{_hex(unit, who, size=10)}"
                meta = {"creationTimestamp": TIMESTAMP, "name": name, "resourceVersion": str(4000 + n),
                        "uid": _uid(self.c.name, unit, who), "labels": {"app.kubernetes.io/managed-by": "fleet-intent"}}
                item = {"apiVersion": "rbac.authorization.k8s.io/v1",
                        "kind": "RoleBinding" if namespace else "ClusterRoleBinding", "metadata": meta,
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": level},
                        "subjects": [self.subject(who, self.c.provider)]}
                if namespace:
                    meta["namespace"] = namespace
                    role_items.append(item)
                else:
                    cluster_items.append(item)
        return _k8s_list(role_items), _k8s_list(cluster_items)

    def grant_rows(self) -> list[tuple[str, str, str, str | None, bool]]:
        """Kubernetes binding rows for GKE and kubernetes-rbac AKS: one binding per grant and namespace."""
        rows = []
        for g in self.plan.grants:
            where = [None] if g.scope == "cluster" else list(g.namespaces)
            for ns in where:
                unit = f"{'RoleBinding/' + ns if ns else 'ClusterRoleBinding'}/{g.principal}/{g.level}"
                rows.append((unit, g.principal, g.level, ns, True))
        return rows

    # providers ------------------------------------------------------------------------------

    def documents(self) -> dict[str, Any]:
        docs = {"kubernetes/namespaces.json": self.namespaces(),
                "kubernetes/serviceaccounts.json": self.service_accounts()}
        docs.update(getattr(self, self.c.provider)())
        return docs

    def eks(self) -> dict[str, Any]:
        c = self.c
        docs: dict[str, Any] = {}
        region, account = c.region, c.account_id
        docs["aws/cluster.json"] = {"cluster": {
            "name": c.name, "arn": f"arn:aws:eks:{region}:{account}:cluster/{c.name}", "createdAt": "2025-06-11T08:21:44.512000+00:00",
            "version": "1.31", "endpoint": f"https://{_hex(c.name, size=32).upper()}.gr7.{region}.eks.amazonaws.com",
            "roleArn": f"arn:aws:iam::{account}:role/{c.name}-cluster",
            "resourcesVpcConfig": {"subnetIds": ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"], "securityGroupIds": [],
                                   "clusterSecurityGroupId": "sg-0c1d2e3f4a5b6c7d8", "vpcId": "vpc-0123456789abcdef0",
                                   "endpointPublicAccess": False, "endpointPrivateAccess": True, "publicAccessCidrs": []},
            "kubernetesNetworkConfig": {"serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4"},
            "identity": {"oidc": {"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{_hex(c.name, 'oidc', size=32).upper()}"}},
            "status": "ACTIVE", "platformVersion": "eks.20", "tags": dict(c.labels),
            "accessConfig": {"bootstrapClusterCreatorAdminPermissions": False, "authenticationMode": c.authentication_mode},
        }}
        # Linux node roles only: the synthetic fleets declare no Windows or Fargate roles.
        node_roles = [n.arn for n in c.node_roles] or [f"arn:aws:iam::{account}:role/{c.name}-nodes"]
        kube_rows: list[tuple[str, str, str, str | None, bool]] = []
        if c.authentication_mode != "CONFIG_MAP":
            entries = []
            for arn in node_roles:
                entries.append({"accessEntry": _access_entry(c, arn, "EC2_LINUX", ["system:nodes"], "system:node:{{EC2PrivateDNSName}}"),
                                "associatedAccessPolicies": []})
            by_principal: dict[str, list] = {}
            for g in self.plan.grants:
                by_principal.setdefault(g.principal, []).append(g)
            for arn, grants in by_principal.items():
                how = self.drift(f"AccessEntry/{arn}")
                targets = [] if how == "drop" else [arn]
                if how == "add":
                    targets.append(self.stranger())
                for who in targets:
                    policies = [_policy(g) for g in grants]
                    entries.append({"accessEntry": _access_entry(c, who, "STANDARD", [], _username(who)),
                                    "associatedAccessPolicies": policies})
            docs["aws/access-entries.json"] = entries
            mappings = [(arn, None, ["system:bootstrappers", "system:nodes"]) for arn in node_roles] \
                if c.authentication_mode == "API_AND_CONFIG_MAP" else []
        else:
            mappings = [(arn, None, ["system:bootstrappers", "system:nodes"]) for arn in node_roles]
            groups_done: set[tuple[str, str, str | None]] = set()
            for g in self.plan.grants:
                group = f"fleet-intent:{g.team}:{g.level}" if g.team else f"fleet-intent:cluster-{g.level}"
                how = self.drift(f"aws-auth/{g.principal}/{g.level}")
                if how != "drop":
                    mappings.append((g.principal, group, [group]))
                if how == "add":
                    mappings.append((self.stranger(), group, [group]))
                for ns in ([None] if g.scope == "cluster" else g.namespaces):
                    if (group, g.level, ns) not in groups_done:
                        groups_done.add((group, g.level, ns))
                        unit = f"{'RoleBinding/' + ns if ns else 'ClusterRoleBinding'}/{group}"
                        kube_rows.append((unit, group, g.level, ns, False))
        if mappings:
            docs["kubernetes/aws-auth.json"] = _aws_auth(c, mappings)
        docs["kubernetes/rolebindings.json"], docs["kubernetes/clusterrolebindings.json"] = self.bindings(kube_rows)
        docs["aws/pod-identity-associations.json"] = [
            {"clusterName": c.name, "namespace": wi.namespace, "serviceAccount": wi.service_account, "roleArn": wi.identity,
             "associationArn": f"arn:aws:eks:{region}:{account}:podidentityassociation/{c.name}/a-{_hex(c.name, wi.namespace, wi.service_account)}",
             "associationId": f"a-{_hex(c.name, wi.namespace, wi.service_account)}", "tags": {},
             "createdAt": "2025-07-01T10:00:00+00:00", "modifiedAt": "2025-07-01T10:00:00+00:00", "disableSessionTags": False}
            for wi in self.plan.workload_identities
        ]
        return docs

    def gke(self) -> dict[str, Any]:
        c = self.c
        docs: dict[str, Any] = {}
        template = _load("prod-euw1", "gcp/cluster.json")
        template.update(name=c.name, location=c.location, subnetwork=f"{c.name}-nodes", resourceLabels=dict(c.labels),
                        selfLink=f"https://container.googleapis.com/v1/projects/{c.project}/locations/{c.location}/clusters/{c.name}",
                        workloadIdentityConfig={"workloadPool": f"{c.project}.svc.id.goog"})
        if c.security_group:
            template["authenticatorGroupsConfig"] = {"enabled": True, "securityGroup": c.security_group}
        else:
            template.pop("authenticatorGroupsConfig", None)
        docs["gcp/cluster.json"] = template
        docs["kubernetes/rolebindings.json"], docs["kubernetes/clusterrolebindings.json"] = self.bindings(self.grant_rows())
        # Project IAM as this cluster's principals need it (roles/container.clusterViewer), with
        # the service agents and node roles every project has.
        policy = _load("prod-euw1", "gcp/project-iam.json")
        viewers = sorted({g.principal for g in self.plan.grants})
        for binding in policy["bindings"]:
            if binding["role"] == "roles/container.clusterViewer":
                binding["members"] = viewers
            elif binding["role"] == "roles/owner":
                binding["members"] = [p for p in viewers if any(g.principal == p and g.level == "cluster-admin" for g in self.plan.grants)]
        docs["gcp/project-iam.json"] = policy
        for email in sorted({wi.identity for wi in self.plan.workload_identities}):
            members = sorted(f"serviceAccount:{c.project}.svc.id.goog[{wi.namespace}/{wi.service_account}]"
                             for wi in self.plan.workload_identities if wi.identity == email)
            docs[f"gcp/service-account-iam/{email}.json"] = {
                "bindings": [{"members": members, "role": "roles/iam.workloadIdentityUser"}], "etag": "BwYk3xQ9aQc=", "version": 1}
        return docs

    def aks(self) -> dict[str, Any]:
        c = self.c
        docs: dict[str, Any] = {}
        cid = c.resource_id
        issuer = f"https://westeurope.oic.prod-aks.azure.com/{TENANT}/{_uid(c.name, 'issuer')}/"
        template = _load("prod-weu", "azure/cluster.json")
        template.update(id=cid, name=c.name, dnsPrefix=f"{c.name}-dns", resourceGroup=c.resource_group,
                        fqdn=f"{c.name}-dns-{_hex(c.name, size=6)}.hcp.westeurope.azmk8s.io",
                        nodeResourceGroup=f"MC_{c.resource_group}_{c.name}_westeurope", tags=dict(c.labels),
                        disableLocalAccounts=True, oidcIssuerProfile={"enabled": True, "issuerUrl": issuer},
                        securityProfile={"workloadIdentity": {"enabled": True}})
        template["aadProfile"] = {**template["aadProfile"], "adminGroupObjectIDs": self.admin_groups(),
                                  "enableAzureRbac": c.authorization == "azure-rbac", "managed": True}
        docs["azure/cluster.json"] = template
        assignments = []

        def assign(principal: str, role: tuple[str, str], scope: str) -> None:
            kind, _, object_id = principal.partition(":")
            name = _uid(scope, role[0], object_id)
            assignments.append({
                "condition": None, "conditionVersion": None, "createdBy": "0b0c0d0e-0000-4000-8000-0000000000f1",
                "createdOn": "2025-06-02T10:00:00.000000+00:00", "delegatedManagedIdentityResourceId": None, "description": None,
                "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", "name": name,
                "principalId": object_id, "principalName": "", "principalType": AZURE_TYPES[kind],
                "resourceGroup": c.resource_group,
                "roleDefinitionId": f"/subscriptions/{c.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role[0]}",
                "roleDefinitionName": role[1], "scope": scope, "type": "Microsoft.Authorization/roleAssignments",
                "updatedBy": "0b0c0d0e-0000-4000-8000-0000000000f1", "updatedOn": "2025-06-02T10:00:00.000000+00:00"})

        for principal in sorted({g.principal for g in self.plan.grants}):
            assign(principal, AKS_USER_ROLE, cid)
        if c.authorization == "azure-rbac":
            for unit, principal, level, ns, _ in self.grant_rows():
                how = self.drift(unit.replace("Binding", "Assignment", 1))
                targets = [] if how == "drop" else [principal]
                if how == "add":
                    targets.append(self.stranger())
                for who in targets:
                    assign(who, AKS_RBAC_ROLE[level], cid + (f"/namespaces/{ns}" if ns else ""))
            kube_rows: list = []
        else:
            kube_rows = self.grant_rows()
        docs["kubernetes/rolebindings.json"], docs["kubernetes/clusterrolebindings.json"] = self.bindings(kube_rows)
        docs["azure/role-assignments.json"] = assignments
        docs["azure/federated-credentials.json"] = [
            {"audiences": ["api://AzureADTokenExchange"],
             "id": f"{wi.identity_resource}/federatedIdentityCredentials/{c.name}-{wi.namespace}-{wi.service_account}",
             "issuer": issuer, "name": f"{c.name}-{wi.namespace}-{wi.service_account}", "resourceGroup": "rg-identities",
             "subject": f"system:serviceaccount:{wi.namespace}:{wi.service_account}", "systemData": None,
             "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"}
            for wi in self.plan.workload_identities if wi.identity_resource
        ]
        return docs


def _k8s_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def _sa(cluster: str, namespace: str, name: str, annotations: dict[str, str] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"creationTimestamp": TIMESTAMP, "name": name, "namespace": namespace, "resourceVersion": "2007",
                            "uid": _uid(cluster, "sa", namespace, name)}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}


def _username(arn: str) -> str:
    if ":role/" in arn:
        account = arn.split(":")[4]
        return f"arn:aws:sts::{account}:assumed-role/{arn.rsplit('/', 1)[-1]}/{{{{SessionName}}}}"
    return arn


def _access_entry(c, arn: str, kind: str, groups: list[str], username: str) -> dict[str, Any]:
    short = arn.split(":", 5)[5].replace("/", "/" + c.account_id + "/", 1)
    return {"clusterName": c.name, "principalArn": arn, "kubernetesGroups": groups,
            "accessEntryArn": f"arn:aws:eks:{c.region}:{c.account_id}:access-entry/{c.name}/{short}/{_hex(c.name, arn, size=8)}",
            "createdAt": "2025-06-12T11:00:00+00:00", "modifiedAt": "2025-06-12T11:00:00+00:00", "tags": {},
            "username": username, "type": kind}


def _policy(g) -> dict[str, Any]:
    scope = {"type": "cluster", "namespaces": []} if g.scope == "cluster" else {"type": "namespace", "namespaces": list(g.namespaces)}
    return {"policyArn": f"arn:aws:eks::aws:cluster-access-policy/{POLICY[g.level]}", "accessScope": scope,
            "associatedAt": "2025-06-12T11:00:00+00:00", "modifiedAt": "2025-06-12T11:00:00+00:00"}


def _aws_auth(c, mappings: list[tuple[str, str | None, list[str]]]) -> dict[str, Any]:
    roles, users = [], []
    for arn, username, groups in mappings:
        is_role = ":role/" in arn
        short = arn
        if is_role:  # aws-auth ARNs carry no IAM path
            head, _, tail = arn.partition(":role/")
            short = f"{head}:role/{tail.rsplit('/', 1)[-1]}"
        name = username and (f"{short.rsplit('/', 1)[-1]}:{{{{SessionName}}}}" if is_role else short.rsplit("/", 1)[-1])
        text = f"- {'rolearn' if is_role else 'userarn'}: {short}\n  username: {name or 'system:node:{{EC2PrivateDNSName}}'}\n  groups:\n"
        text += "".join(f"  - {g}\n" for g in groups)
        (roles if is_role else users).append(text)
    data = {"mapRoles": "".join(roles)}
    if users:
        data["mapUsers"] = "".join(users)
    return {"apiVersion": "v1", "kind": "ConfigMap", "data": data,
            "metadata": {"creationTimestamp": TIMESTAMP, "name": "aws-auth", "namespace": "kube-system",
                         "resourceVersion": "5120", "uid": _uid(c.name, "aws-auth")}}


def write_snapshot(fleet_plan, out_dir: str | os.PathLike, drift_percent: float = 0.0) -> Stats:
    """Write every cluster of `fleet_plan` under `out_dir` (SPEC §7 layout); what was written."""
    system = _System()
    stats = Stats()
    for plan in fleet_plan.clusters:
        stats.clusters += 1
        for rel, doc in _Cluster(plan, system, drift_percent, stats).documents().items():
            path = os.path.join(out_dir, plan.name, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            text = json.dumps(doc, indent=4)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            stats.files += 1
            stats.bytes += len(text)
    return stats


def plan_synthetic(intent_path: str):
    """Load and plan an intent file the way `check` does (at the benchmarks' fixed `now`)."""
    from intent.load import load_intent
    from intent.plan import plan_fleet

    loaded = load_intent(intent_path, NOW)
    return plan_fleet(loaded.intent, NOW)


def main(argv: list[str] | None = None) -> None:
    """Write fleet.yaml and a snapshot directory for it into OUT."""
    from benchmarks.synthetic import synthetic_intent

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--teams-per-cluster", type=int, default=10)
    parser.add_argument("--drift", type=float, default=5.0, help="percent of drift units drifted")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    intent_path = os.path.join(args.out, "fleet.yaml")
    Path(intent_path).write_text(synthetic_intent(args.clusters, args.teams, args.namespaces, args.teams_per_cluster), encoding="utf-8")
    stats = write_snapshot(plan_synthetic(intent_path), os.path.join(args.out, "snapshot"), args.drift)
    print(f"{stats.clusters} clusters, {stats.files} files, {stats.bytes / 1e6:.1f} MB; {stats.units} drift units, "
          f"drifted {dict(stats.drifted)} (expected findings {stats.expected_findings})", file=sys.stderr)


if __name__ == "__main__":
    main()
