"""AKS: Azure RBAC role assignments or Kubernetes RBAC for Entra ids, workload identity."""

from __future__ import annotations

import re

from jinja2 import Environment

from intent.plan import ClusterPlan, Grant
from intent.provider_roles import AKS_CLUSTER_USER_ROLE, AKS_ROLE_NAMES

from ..base import RenderedFile
from ..common import (
    Subject,
    annotated_service_accounts,
    cluster_binding_name,
    ident,
    per_workload_identity,
    principal_address,
    rbac_text,
    render_root_files,
    short_hash,
    unique_principals,
)

AZURERM_PROVIDER = {"name": "azurerm", "source": "hashicorp/azurerm", "version": "~> 5.0"}
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
# The role each grant level is assigned as: cluster-wide grants are view or cluster-admin.
NAMESPACE_ROLES = {level: AKS_ROLE_NAMES[level] for level in ("view", "edit", "admin")}
CLUSTER_ROLES = {level: AKS_ROLE_NAMES[level] for level in ("view", "cluster-admin")}
PRINCIPAL_TYPES = {"group": "Group", "user": "User", "servicePrincipal": "ServicePrincipal"}
# Federated identity credential names: 3-120 of letters, digits, '-' and '_'.
FIC_NAME_MAX = 120


def render_aks(plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
    """The Terraform of one AKS cluster root."""
    files = {
        "providers.tf": ("aks/providers.tf.j2", {}),
        "access.tf": ("aks/access.tf.j2", {"role_assignments": role_assignments(plan)}),
    }
    if plan.cluster.authorization == "kubernetes-rbac":
        files["rbac.tf"] = rbac_text(plan, env, rbac_subject)
    files["workload-identity.tf"] = (
        "aks/workload-identity.tf.j2",
        {"credentials": federated_credentials(plan), "service_accounts": service_accounts(plan)},
    )
    return render_root_files(plan, env, AZURERM_PROVIDER, files)


def object_id(grant_or_principal: Grant | str) -> str:
    """The Entra object id of a principal, lower-cased as Azure returns it."""
    principal = grant_or_principal if isinstance(grant_or_principal, str) else grant_or_principal.principal
    return principal.split(":", 1)[1].lower()


def rbac_subject(grant: Grant) -> Subject:
    """Entra groups bind as Group by object id; users and service principals as User."""
    return Subject("Group" if grant.kind == "group" else "User", object_id(grant))


def role_assignments(plan: ClusterPlan) -> list[dict]:
    """Cluster User Role for every principal, plus (azure-rbac) the data-plane RBAC roles."""
    scope = plan.cluster.resource_id
    found: dict[str, dict] = {}

    def add(principal: str, suffix: tuple[str, ...], role: str, at: str) -> None:
        address = ident(principal_address(principal), *suffix)
        found.setdefault(
            address,
            {
                "address": address,
                "scope": at,
                "role": role,
                "principal_id": object_id(principal),
                "principal_type": PRINCIPAL_TYPES[principal.split(":", 1)[0]],
            },
        )

    for principal in unique_principals(plan):
        add(principal, ("cluster-user",), AKS_CLUSTER_USER_ROLE, scope)
    if plan.cluster.authorization == "azure-rbac":
        for grant in plan.grants:
            if grant.scope == "cluster":
                add(grant.principal, (cluster_binding_name(grant.level),), CLUSTER_ROLES[grant.level], scope)
                continue
            for ns in grant.namespaces:
                add(grant.principal, (ns, grant.level), NAMESPACE_ROLES[grant.level], f"{scope}/namespaces/{ns}")
    return [found[key] for key in sorted(found)]


def credential_name(cluster: str, namespace: str, service_account: str) -> str:
    """The federated credential's name: unique per cluster and service account, within
    Azure's 120-character limit (several clusters federate the same managed identity)."""
    base = f"fleet-intent-{cluster}-{namespace}-{service_account}"
    name = re.sub(r"[^A-Za-z0-9_-]", "-", base)
    if name != base or len(name) > FIC_NAME_MAX:
        name = f"{name[: FIC_NAME_MAX - 9]}-{short_hash(base)}"
    return name


def federated_credentials(plan: ClusterPlan) -> list[dict]:
    """One federated identity credential per workload identity, trusting the cluster's issuer."""
    return per_workload_identity(
        plan,
        lambda wi: {
            "name": credential_name(plan.name, wi.namespace, wi.service_account),
            "identity_id": wi.identity_resource,
            "subject": f"system:serviceaccount:{wi.namespace}:{wi.service_account}",
        },
    )


def service_accounts(plan: ClusterPlan) -> list[dict]:
    """The Kubernetes service accounts, annotated with their managed identity's client id."""
    return annotated_service_accounts(plan, CLIENT_ID_ANNOTATION)