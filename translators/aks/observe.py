"""Reads an AKS cluster's documents (cluster, role assignments, federated credentials,
Kubernetes RBAC) into the neutral `ObservedState`.

Three spellings of the cluster and two of role assignments exist (REFERENCE §7): the ARM body
nests settings under `properties` (`enableAzureRBAC`), `az` flattens them (`enableAzureRbac`),
and older SDK dumps use snake_case (`enable_azure_rbac`). Keys are therefore looked up by a
normalised name (lower case, no underscores), and Azure ids are compared case-insensitively.
"""

from __future__ import annotations

import re
from typing import Any

from intent.observe.observed import (
    ObservedCloudRole,
    ObservedGrant,
    ObservedState,
    ObservedWorkloadIdentity,
    plan_spelling,
    principal_key,
)
from intent.plan import ClusterPlan
from intent.provider_roles import AKS_CONTROL_PLANE_ROLES, AKS_RBAC_ROLES
from translators import kubernetes_state as k8s
from translators.kubernetes_admission import parse_admission

CLUSTER = "azure/cluster.json"
ROLE_ASSIGNMENTS = "azure/role-assignments.json"
FEDERATED = "azure/federated-credentials.json"
TOKEN_AUDIENCE = "api://AzureADTokenExchange"

PRINCIPAL_KINDS = {"group": "group", "user": "user", "serviceprincipal": "servicePrincipal"}
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# e-mail-like: what Entra puts in a member user's `upn` claim. Local and certificate users
# (clusterAdmin, masterclient, system:*) never hold an '@'.
UPN = re.compile(r"[^@\s:/]+@[^@\s:/]+\.[^@\s:/]+")
FIC_SUBJECT = re.compile(r"system:serviceaccount:([^:]+):([^:]+)")


def _norm(key: str) -> str:
    return key.replace("_", "").lower()


def field(obj: dict[str, Any], name: str) -> Any:
    """`obj[name]` whatever its spelling (camelCase, RBAC/Rbac, snake_case)."""
    if name in obj:  # az's spelling, the common case: no scan over every key
        return obj[name]
    wanted = _norm(name)
    for key, value in obj.items():
        if _norm(key) == wanted:
            return value
    return None


def flatten(obj: dict[str, Any]) -> dict[str, Any]:
    """An ARM resource with its `properties` merged into the top level (az's shape)."""
    props = field(obj, "properties")
    return {**obj, **props} if isinstance(props, dict) else obj


def observe_cluster(plan: ClusterPlan, documents: dict[str, Any]) -> ObservedState:
    """The observed state of AKS cluster `plan.name` from its snapshot documents."""
    cluster = flatten(k8s.as_dict(k8s.document(documents, CLUSTER), CLUSTER, "the document"))
    spelling = plan_spelling([g.principal for g in plan.grants])
    # A user bound by UPN holds its Cluster User Role under the object id paired with it.
    by_object_id = {**spelling, **{principal_key(f"user:{g.object_id}"): g.principal for g in plan.grants if g.object_id}}
    settings, admin_groups, issuer = cluster_settings(cluster)
    cluster_id = str(field(cluster, "id") or plan.cluster.resource_id)
    grants = list(k8s.binding_grants(documents, lambda kind, name: subject_principal(kind, name, spelling)))
    for group in admin_groups:
        principal = spelling.get(principal_key(f"group:{group}"), f"group:{group}")
        obj = f"Cluster/{plan.name}/aadProfile.adminGroupObjectIDs/{group}"
        grants.append(ObservedGrant(principal, "cluster-admin", "cluster", (), obj, "aadProfile.adminGroupObjectIDs"))
    # The RBAC roles act inside the cluster only with Azure RBAC on; on a kubernetes-rbac
    # cluster they are dormant grants that switching it on would activate.
    rbac, roles = role_assignments(documents, cluster_id, by_object_id, plan.cluster.authorization == "azure-rbac")
    return ObservedState(
        cluster=plan.name,
        provider="aks",
        namespaces=k8s.parse_namespaces(documents),
        grants=tuple(grants) + rbac,
        cloud_roles=roles,
        workload_identities=federated_credentials(documents, issuer, plan),
        service_accounts=k8s.parse_service_accounts(documents),
        settings=settings,
        admission=parse_admission(plan, documents),
    )


def cluster_settings(cluster: dict[str, Any]):
    """(settings, admin group object ids, OIDC issuer URL) of an AKS cluster document."""
    aad = field(cluster, "aadProfile")
    aad = aad if isinstance(aad, dict) else {}
    oidc = field(cluster, "oidcIssuerProfile")
    oidc = oidc if isinstance(oidc, dict) else {}
    security = field(cluster, "securityProfile")
    wi = field(security, "workloadIdentity") if isinstance(security, dict) else None
    wi = wi if isinstance(wi, dict) else {}
    settings = (
        ("aadProfile.managed", field(aad, "managed")),
        ("enableAzureRbac", field(aad, "enableAzureRbac")),
        ("disableLocalAccounts", field(cluster, "disableLocalAccounts")),
        ("oidcIssuerProfile.enabled", field(oidc, "enabled")),
        ("securityProfile.workloadIdentity.enabled", field(wi, "enabled")),
    )
    groups = field(aad, "adminGroupObjectIds") or []
    groups = [str(g) for g in k8s.as_list(groups, CLUSTER, "aadProfile.adminGroupObjectIDs")]
    return settings, groups, field(oidc, "issuerUrl")


def subject_principal(kind: str, name: str, spelling: dict[str, str]) -> str | None:
    """The intent spelling of an RBAC subject; None unless it names an Entra object id or,
    for a User, a UPN (AKS authenticates Entra member users by their `upn` claim)."""
    if kind == "User" and UPN.fullmatch(name):
        return spelling.get(principal_key(f"user:{name}"), f"user:{name}")
    if not GUID.fullmatch(name):
        return None  # local or certificate users (clusterAdmin, masterclient): provider-managed
    if kind == "Group":
        return spelling.get(principal_key(f"group:{name}"), f"group:{name}")
    # A User subject is a user or a service principal; the intent says which.
    for kind_prefix in ("user", "servicePrincipal"):
        if principal_key(f"{kind_prefix}:{name}") in spelling:
            return spelling[principal_key(f"{kind_prefix}:{name}")]
    return f"user:{name}"


def assignment_principal(principal_id: str, principal_type: str, spelling) -> str:
    for kind in ("group", "user", "servicePrincipal"):
        key = principal_key(f"{kind}:{principal_id}")
        if key in spelling:
            return spelling[key]
    kind = PRINCIPAL_KINDS.get(principal_type.lower(), "user")
    return f"{kind}:{principal_id}"


def assignment_items(doc: Any) -> list[Any]:
    """The role assignments of `azure/role-assignments.json`: a JSON list (`snapshot --live`,
    or assignments collected by hand), or ARM's List For Scope response `{"value": [...],
    "nextLink": ...}` as `az rest` prints it (docs/live.md). One page of a paged listing
    (`nextLink` set) is refused: read as the whole, it would hide every later assignment."""
    if not isinstance(doc, dict):
        return k8s.as_list(doc, ROLE_ASSIGNMENTS, "the document")
    if "value" not in doc:
        raise k8s.fail(ROLE_ASSIGNMENTS, 'is neither a JSON list nor an ARM list response ({"value": [...]})')
    next_link = doc.get("nextLink")
    if next_link is not None:
        if not isinstance(next_link, str):
            raise k8s.fail(ROLE_ASSIGNMENTS, "nextLink is not a string")
        raise k8s.fail(
            ROLE_ASSIGNMENTS,
            "holds one page of a paged listing (nextLink is set): fetch each nextLink in turn and put the "
            "value items of every page in one JSON list",
        )
    return k8s.as_list(doc["value"], ROLE_ASSIGNMENTS, "value")


def assignment_records(documents):
    """(index, the assignment flattened, role definition GUID lower-cased, principal id, scope) of
    each role assignment in `azure/role-assignments.json`, its required fields checked."""
    for i, item in enumerate(assignment_items(k8s.document(documents, ROLE_ASSIGNMENTS))):
        item = flatten(k8s.as_dict(item, ROLE_ASSIGNMENTS, f"[{i}]"))
        role_id = k8s.text(field(item, "roleDefinitionId"), ROLE_ASSIGNMENTS, f"[{i}].roleDefinitionId")
        principal_id = k8s.text(field(item, "principalId"), ROLE_ASSIGNMENTS, f"[{i}].principalId")
        scope = field(item, "scope") or str(field(item, "id") or "").split("/providers/Microsoft.Authorization/")[0]
        scope = k8s.text(scope, ROLE_ASSIGNMENTS, f"[{i}].scope").rstrip("/")
        yield i, item, role_id.rstrip("/").rsplit("/", 1)[-1].lower(), principal_id, scope


def role_assignments(documents, cluster_id: str, spelling, azure_rbac: bool = True):
    """(RBAC grants, control-plane roles) from the role assignments at, above or below the cluster."""
    cid = cluster_id.rstrip("/").lower()
    grants, roles = [], []
    for _, item, guid, principal_id, scope in assignment_records(documents):
        low = scope.lower()
        if low == cid or cid.startswith(low + "/"):
            namespaces: tuple[str, ...] = ()  # at the cluster or inherited from above it
        elif low.startswith(cid + "/namespaces/"):
            namespaces = (scope[len(cid) + len("/namespaces/"):],)
        else:
            continue  # another resource's assignment
        principal = assignment_principal(principal_id, str(field(item, "principalType") or ""), spelling)
        if guid in AKS_RBAC_ROLES:
            name, level = AKS_RBAC_ROLES[guid]
            obj = f"RoleAssignment/{scope}/{name}/{principal}"
            scope_kind = "namespace" if namespaces else "cluster"
            via = name if azure_rbac else f"{name} (Azure RBAC is off on this cluster)"
            grants.append(ObservedGrant(principal, level, scope_kind, namespaces, obj, via, managed=azure_rbac))
        elif guid in AKS_CONTROL_PLANE_ROLES and not namespaces:
            name = AKS_CONTROL_PLANE_ROLES[guid]
            roles.append(ObservedCloudRole(principal, name, f"RoleAssignment/{scope}/{name}/{principal}"))
    return tuple(grants), tuple(roles)


def federated_credentials(documents, issuer: str | None, plan: ClusterPlan) -> tuple[ObservedWorkloadIdentity, ...]:
    """Federated credentials that let a service account of this cluster act as a managed identity."""
    spelled = {w.identity_resource.lower(): w.identity_resource for w in plan.workload_identities if w.identity_resource}
    out = []
    for i, item in enumerate(k8s.as_list(k8s.document(documents, FEDERATED), FEDERATED, "the document")):
        item = flatten(k8s.as_dict(item, FEDERATED, f"[{i}]"))
        fic_id = k8s.text(field(item, "id"), FEDERATED, f"[{i}].id")
        subject = k8s.text(field(item, "subject"), FEDERATED, f"[{i}].subject")
        audiences = [str(a) for a in k8s.as_list(field(item, "audiences") or [], FEDERATED, f"[{i}].audiences")]
        fic_issuer = str(field(item, "issuer") or "")
        if issuer and fic_issuer.rstrip("/") != str(issuer).rstrip("/"):
            continue  # trusts another cluster's issuer
        found = FIC_SUBJECT.fullmatch(subject)
        if not found or TOKEN_AUDIENCE not in audiences:
            continue  # not a Kubernetes service account token exchange
        identity = re.split(r"/federatedIdentityCredentials/", fic_id, flags=re.IGNORECASE)[0]
        identity = spelled.get(identity.lower(), identity)
        ns, sa = found.groups()
        out.append(ObservedWorkloadIdentity(ns, sa, identity, f"FederatedCredential/{fic_id}"))
    return tuple(out)
