"""Cloud grants out of AWS, Google and Azure resources and the terraform-aws-modules EKS module."""

from __future__ import annotations

import re
from typing import Any

from intent.check.findings import FI_TF_002
from intent.provider_roles import EKS_POLICY_LEVELS
from intent.check.terraform.extract_k8s import groups_to_grants
from intent.check.terraform.hclvalues import Expr, expr_reference, nested_blocks
from intent.check.terraform.objects import (
    AKS_NEUTRAL_ROLES,
    AKS_ROLE_GUIDS,
    AKS_ROLE_LEVELS,
    WORKLOAD_IDENTITY_USER,
    Extracted,
    Source,
    TfGrant,
    TfWorkloadIdentity,
    Unevaluated,
)
from intent.check.terraform.parse import Block

EKS_MODULE_SOURCES = ("terraform-aws-modules/eks/aws", "terraform-aws-modules/terraform-aws-eks")
GSA_IAM_TYPES = (
    "google_service_account_iam_member",
    "google_service_account_iam_binding",
    "google_service_account_iam_policy",
)
_WI_MEMBER = re.compile(r"^serviceAccount:([a-z][a-z0-9-]{4,28}[a-z0-9])\.svc\.id\.goog\[([^/\]]+)/([^\]]+)\]$")
_GSA_ID = re.compile(r"^(?:projects/[^/]+/serviceAccounts/)?([^/@\s]+@[^/\s]+)$")
_AKS_SCOPE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/([^/]+)/providers/Microsoft\.ContainerService/managedClusters/([^/]+)"
    r"(?:/namespaces/([^/]+))?/?$",
    re.I,
)
_AKS_BROAD_SCOPE = re.compile(r"^/subscriptions/[^/]+(?:/resourceGroups/[^/]+)?/?$", re.I)
_AKS_REF_SCOPE = re.compile(
    r'^"?\$\{((?:data\.)?azurerm_kubernetes_cluster\.[\w-]+)\.id\}(?:/namespaces/([a-z0-9-]+))?"?$'
)
_GUID = re.compile(r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/?$")


def is_eks_module(block: Block) -> bool:
    """True for a `module` block calling the terraform-aws-modules EKS module."""
    source = block.body.get("source")
    return block.kind == "module" and isinstance(source, str) and any(s in source for s in EKS_MODULE_SOURCES)


def _unevaluated(out: Extracted, expr: Expr, what: str, source: Source, provider: str) -> None:
    out.unevaluated.append(Unevaluated(expr.text, what, FI_TF_002, source, provider))
    out.incomplete.add(provider)


def _policy_grants(
    principal: str, policy_arn: Any, scope: Any, source: Source, out: Extracted
) -> list[TfGrant]:
    """The grant one EKS access policy association makes."""
    if isinstance(policy_arn, Expr):
        _unevaluated(out, policy_arn, "access policy", source, "eks")
        return []
    if not isinstance(policy_arn, str):
        return []
    policy = policy_arn.rsplit("/", 1)[-1]
    level = EKS_POLICY_LEVELS.get(policy)
    scope = scope if isinstance(scope, dict) else {}
    scope_type = scope.get("type", "cluster")
    namespaces = scope.get("namespaces") or []
    namespaces = [namespaces] if isinstance(namespaces, (str, Expr)) else namespaces
    if not isinstance(namespaces, list):
        namespaces = []
    for value in (scope_type, namespaces, *(namespaces if isinstance(namespaces, list) else [])):
        if isinstance(value, Expr):
            _unevaluated(out, value, "access scope", source, "eks")
            return []
    if scope_type == "namespace":
        names = tuple(str(n) for n in namespaces)
        return [TfGrant("eks", principal, level, "namespace", names, policy, "access-entry", source)]
    return [TfGrant("eks", principal, level, "cluster", (), policy, "access-entry", source)]


def _entry_groups(entry: dict, principal: str, source: Source, out: Extracted, teams) -> list[TfGrant]:
    groups = entry.get("kubernetes_groups") or []
    groups = [groups] if isinstance(groups, str) else groups if isinstance(groups, (list, Expr)) else []
    if isinstance(groups, Expr):
        _unevaluated(out, groups, "kubernetes_groups", source, "eks")
        return []
    for group in groups:
        if isinstance(group, Expr):
            _unevaluated(out, group, "kubernetes_groups", source, "eks")
            return []
    return groups_to_grants([g for g in groups if isinstance(g, str)], principal, "access-entry", source, teams)


def extract_eks(blocks: list[Block], out: Extracted, teams: dict[str, tuple[str, ...]]) -> None:
    """Access entries, policy associations and the EKS module's `access_entries` input."""
    entries = {b.name: b for b in blocks if b.kind == "resource" and b.type == "aws_eks_access_entry"}
    for block in entries.values():
        out.grant_providers.add("eks")
        source = Source(block.address, block.file, block.line)
        principal, entry_type = block.body.get("principal_arn"), block.body.get("type", "STANDARD")
        if isinstance(entry_type, str) and entry_type != "STANDARD":
            continue  # node and Fargate entries are provider-managed (SPEC §7)
        if isinstance(principal, Expr):
            _unevaluated(out, principal, "principal_arn", source, "eks")
            continue
        if isinstance(principal, str):
            out.grants.extend(_entry_groups(block.body, principal, source, out, teams))

    for block in blocks:
        if block.kind == "resource" and block.type == "aws_eks_access_policy_association":
            out.grant_providers.add("eks")
            source = Source(block.address, block.file, block.line)
            principal = _resolve_principal(block.body.get("principal_arn"), entries)
            if isinstance(principal, Expr):
                _unevaluated(out, principal, "principal_arn", source, "eks")
                continue
            if isinstance(principal, str):
                scope = (nested_blocks(block.body, "access_scope") or [{}])[0]
                out.grants.extend(_policy_grants(principal, block.body.get("policy_arn"), scope, source, out))
        elif is_eks_module(block):
            _extract_eks_module(block, out, teams)


def _resolve_principal(value: Any, entries: dict[str, Block]) -> Any:
    """A principal_arn literal, or the literal of the `aws_eks_access_entry.<name>` it references."""
    if isinstance(value, Expr):
        ref = expr_reference(value)
        parts = ref.split(".") if ref else []
        if len(parts) == 3 and parts[0] == "aws_eks_access_entry" and parts[2] == "principal_arn":
            entry = entries.get(parts[1])
            if entry is not None:
                return entry.body.get("principal_arn", value)
    return value


def _extract_eks_module(block: Block, out: Extracted, teams) -> None:
    source = Source(block.address, block.file, block.line)
    creator = block.body.get("enable_cluster_creator_admin_permissions")
    if creator is True:
        out.unevaluated.append(
            Unevaluated(
                "the identity running terraform (enable_cluster_creator_admin_permissions = true)",
                "cluster creator's cluster-admin access entry",
                FI_TF_002,
                source,
                "eks",
            )
        )
    access = block.body.get("access_entries")
    if access is None:
        return
    out.grant_providers.add("eks")
    if isinstance(access, Expr):
        _unevaluated(out, access, "access_entries", source, "eks")
        return
    if not isinstance(access, dict):
        return
    for key, entry in access.items():
        line = block.line_of(rf'^\s*"?{re.escape(str(key))}"?\s*=') if isinstance(key, str) else block.line
        item = Source(f"{block.address}.access_entries", block.file, line, f"{key}")
        if isinstance(key, Expr) or not isinstance(entry, dict):
            _unevaluated(out, key if isinstance(key, Expr) else Expr(str(entry)), "access_entries entry", item, "eks")
            continue
        principal, entry_type = entry.get("principal_arn"), entry.get("type", "STANDARD")
        if isinstance(entry_type, str) and entry_type != "STANDARD":
            continue
        if isinstance(principal, Expr):
            _unevaluated(out, principal, "principal_arn", item, "eks")
            continue
        if not isinstance(principal, str):
            continue
        out.grants.extend(_entry_groups(entry, principal, item, out, teams))
        associations = entry.get("policy_associations") or {}
        if isinstance(associations, Expr):
            _unevaluated(out, associations, "policy_associations", item, "eks")
            continue
        for association in associations.values() if isinstance(associations, dict) else []:
            if isinstance(association, dict):
                out.grants.extend(
                    _policy_grants(principal, association.get("policy_arn"), association.get("access_scope"), item, out)
                )


def extract_gke(blocks: list[Block], out: Extracted) -> None:
    """Workload Identity members (`<project>.svc.id.goog[ns/ksa]`) bound to Google service accounts."""
    policies = {b.name: b for b in blocks if b.kind == "data" and b.type == "google_iam_policy"}
    for block in blocks:
        if block.kind != "resource" or block.type not in GSA_IAM_TYPES:
            continue
        source = Source(block.address, block.file, block.line)
        bindings = _gsa_bindings(block, policies, source, out)
        gsa_value = block.body.get("service_account_id")
        gsa = gsa_expr = None
        if isinstance(gsa_value, str):
            match = _GSA_ID.match(gsa_value)
            gsa = match.group(1).lower() if match else gsa_value
        elif isinstance(gsa_value, Expr):
            gsa_expr = gsa_value.text
        for role, member in bindings:
            if role != WORKLOAD_IDENTITY_USER:
                continue
            match = _WI_MEMBER.match(member)
            if match:
                project, namespace, ksa = match.groups()
                item = Source(block.address, block.file, block.line, member) if len(bindings) > 1 else source
                out.identities.append(TfWorkloadIdentity(project, namespace, ksa, gsa, item, gsa_expr))


def _gsa_bindings(block: Block, policies: dict[str, Block], source: Source, out: Extracted) -> list[tuple[str, str]]:
    """(role, member) pairs of a google_service_account_iam_* resource."""
    body = block.body
    if block.type == "google_service_account_iam_policy":
        data = body.get("policy_data")
        ref = expr_reference(data) if isinstance(data, Expr) else None
        parts = ref.split(".") if ref else []
        if len(parts) == 4 and parts[:2] == ["data", "google_iam_policy"] and parts[2] in policies:
            pairs: list[tuple[str, str]] = []
            for binding in nested_blocks(policies[parts[2]].body, "binding"):
                pairs.extend(_role_members(binding.get("role"), binding.get("members"), source, out))
            return pairs
        if data is not None:
            _unevaluated(out, data if isinstance(data, Expr) else Expr(str(data)), "policy_data", source, "gke")
        return []
    members = body.get("members") if block.type.endswith("_binding") else [body.get("member")]
    return _role_members(body.get("role"), members, source, out)


def _role_members(role: Any, members: Any, source: Source, out: Extracted) -> list[tuple[str, str]]:
    if isinstance(role, Expr):
        _unevaluated(out, role, "role", source, "gke")
        return []
    if isinstance(members, Expr):
        if role == WORKLOAD_IDENTITY_USER:
            _unevaluated(out, members, "members", source, "gke")
        return []
    pairs: list[tuple[str, str]] = []
    members = [members] if isinstance(members, str) else members if isinstance(members, list) else []
    for member in members:
        if isinstance(member, Expr):
            if role == WORKLOAD_IDENTITY_USER:
                _unevaluated(out, member, "member", source, "gke")
            continue
        if isinstance(role, str) and isinstance(member, str):
            pairs.append((role, member))
    return pairs


def extract_aks(blocks: list[Block], out: Extracted, aks_clusters: dict[str, str]) -> None:
    """AKS RBAC role assignments at cluster, namespace, resource group or subscription scope.

    `aks_clusters` maps lower-cased cluster names (and `rg/name`) of the intent to their names.
    """
    named = {b.address: b for b in blocks if b.type == "azurerm_kubernetes_cluster"}
    for block in blocks:
        if block.kind != "resource" or block.type != "azurerm_role_assignment":
            continue
        source = Source(block.address, block.file, block.line)
        role = _aks_role(block, source, out)
        if role is None:
            continue
        scope = _aks_scope(block.body.get("scope"), named, aks_clusters, source, out)
        if scope is None:
            continue
        cluster, namespace = scope
        out.grant_providers.add("aks")
        principal = block.body.get("principal_id")
        if isinstance(principal, Expr):
            _unevaluated(out, principal, "principal_id", source, "aks")
            continue
        if not isinstance(principal, str) or role in AKS_NEUTRAL_ROLES:
            continue
        level = AKS_ROLE_LEVELS.get(role)
        label = role.title().replace("Rbac", "RBAC").replace("Aks", "AKS")
        if namespace:
            grant = TfGrant("aks", principal, level, "namespace", (namespace,), label, "role-assignment", source, cluster)
        else:
            grant = TfGrant("aks", principal, level, "cluster", (), label, "role-assignment", source, cluster)
        out.grants.append(grant)


def _aks_role(block: Block, source: Source, out: Extracted) -> str | None:
    """The lower-cased AKS role name of a role assignment; None when not an AKS role."""
    name, definition = block.body.get("role_definition_name"), block.body.get("role_definition_id")
    if isinstance(name, str):
        lowered = name.lower()
        return lowered if lowered in AKS_ROLE_LEVELS or lowered in AKS_NEUTRAL_ROLES else None
    if isinstance(definition, str):
        match = _GUID.search(definition)
        return AKS_ROLE_GUIDS.get(match.group(1).lower()) if match else None
    value = name if isinstance(name, Expr) else definition
    if isinstance(value, Expr) and _mentions_aks(block.body.get("scope")):
        _unevaluated(out, value, "role definition", source, "aks")
    return None


def _mentions_aks(scope: Any) -> bool:
    text = scope.text if isinstance(scope, Expr) else scope if isinstance(scope, str) else ""
    return "azurerm_kubernetes_cluster" in text or "managedclusters" in text.lower()


def _aks_scope(scope: Any, named, aks_clusters, source: Source, out: Extracted):
    """(intent cluster name or None, namespace or None) of an AKS scope; None when out of scope."""
    if isinstance(scope, str):
        match = _AKS_SCOPE.match(scope)
        if match:
            group, cluster, namespace = match.groups()
            known = aks_clusters.get(f"{group.lower()}/{cluster.lower()}")
            if known is None:
                return None  # a cluster the intent does not manage
            return known, namespace
        if _AKS_BROAD_SCOPE.match(scope):
            return None, None  # resource group / subscription scope reaches every cluster in it
        return None
    if isinstance(scope, Expr):
        match = _AKS_REF_SCOPE.match(scope.text) or _AKS_REF_SCOPE.match("${" + scope.text + "}")
        if match:
            ref_block = named.get(match.group(1))
            name = ref_block.body.get("name") if ref_block is not None else None
            if isinstance(name, str):
                cluster = aks_clusters.get(name.lower())
                return (cluster, match.group(2)) if cluster else None  # None: not an intent cluster
            return None, match.group(2)
        if _mentions_aks(scope):
            _unevaluated(out, scope, "scope", source, "aks")
    return None
