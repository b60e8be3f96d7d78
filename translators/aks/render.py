"""AKS: Azure RBAC role assignments or Kubernetes RBAC for Entra ids, workload identity."""

from __future__ import annotations


from jinja2 import Environment

from intent.model import is_upn_user
from intent.plan import ClusterPlan, Grant
from intent.provider_roles import AKS_CLUSTER_USER_ROLE, AKS_ROLE_NAMES

from ..base import RenderedFile
from ..common import (
    Subject,
    admission_files,
    annotated_service_accounts,
    claim,
    cluster_binding_name,
    ident,
    per_workload_identity,
    principal_address,
    rbac_cluster_admins,
    rbac_text,
    render_root_files,
    short_hash,
    unique_principals,
)

# Schema-checked against 4.65.0 and 5.10.0; azurerm < 4.65 lacks user_assigned_identity_id on the federated credential.
AZURERM_PROVIDER = {"name": "azurerm", "source": "hashicorp/azurerm", "version": ">= 4.65, < 6.0"}
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
# The role each grant level is assigned as: cluster-wide grants are view or cluster-admin.
NAMESPACE_ROLES = {level: AKS_ROLE_NAMES[level] for level in ("view", "edit", "admin")}
CLUSTER_ROLES = {level: AKS_ROLE_NAMES[level] for level in ("view", "cluster-admin")}
PRINCIPAL_TYPES = {"group": "Group", "user": "User", "servicePrincipal": "ServicePrincipal"}
# Federated identity credential names: 3-120 of letters, digits, '-' and '_'.
FIC_NAME_MAX = 120
FIC_HASH_DIGITS = 24


def render_aks(plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
    """The Terraform of one AKS cluster root."""
    credentials = federated_credentials(plan)
    # The cluster's data source gives workload identity its OIDC issuer and, unless the intent
    # names a kubeconfig context, the kubernetes provider its endpoint.
    needs_cluster_data = bool(credentials) or not plan.cluster.kube_context
    files = {
        "providers.tf": (
            "aks/providers.tf.j2",
            {"needs_cluster_data": needs_cluster_data, "identity_subscriptions": identity_subscriptions(plan)},
        ),
        "kubernetes.tf": ("aks/kubernetes.tf.j2", {}),
        "access.tf": ("aks/access.tf.j2", {"role_assignments": role_assignments(plan)}),
    }
    if plan.cluster.authorization == "kubernetes-rbac":
        files["rbac.tf"] = rbac_text(plan, env, rbac_subject)
    files["workload-identity.tf"] = (
        "aks/workload-identity.tf.j2",
        {"credentials": credentials, "service_accounts": service_accounts(plan)},
    )
    return render_root_files(plan, env, AZURERM_PROVIDER, files) + admission_files(plan, env, cluster_admin_subjects(plan))


def cluster_admin_subjects(plan: ClusterPlan) -> list[tuple[str, str]]:
    """The RBAC subjects of the intent's cluster-admins (the admission guard's allow-list):
    none on azure-rbac clusters, where cluster-admin is an Azure role assignment."""
    return rbac_cluster_admins(plan, rbac_subject) if plan.cluster.authorization == "kubernetes-rbac" else []


def object_id(grant_or_principal: Grant | str) -> str:
    """The Entra object id of a principal, lower-cased as Azure returns it."""
    principal = grant_or_principal if isinstance(grant_or_principal, str) else grant_or_principal.principal
    return principal.split(":", 1)[1].lower()


def rbac_subject(grant: Grant) -> Subject:
    """Entra groups bind as Group by object id; service principals as User by object id (AKS
    falls back to the `oid` claim when a token has no `upn`); member users as User by UPN,
    the `upn` claim AKS authenticates them by (kubeguard/guard auth/providers/azure/azure.go).
    The UPN is kept as written: Kubernetes compares user names exactly."""
    if grant.kind == "group":
        return Subject("Group", object_id(grant))
    if is_upn_user(grant.principal):
        return Subject("User", grant.subject)
    return Subject("User", object_id(grant))


def role_assignments(plan: ClusterPlan) -> list[dict]:
    """Cluster User Role for every principal, plus (azure-rbac) the data-plane RBAC roles."""
    scope = plan.cluster.resource_id
    found: dict[str, object] = {}

    def add(principal: str, suffix: tuple[str, ...], role: str, at: str) -> None:
        # The suffix is `cluster-user`, `cluster-<level>` or `<namespace>_<level>`, none of
        # which an encoded principal address can end with, so addresses stay injective.
        address = ident(principal_address(principal), *suffix)
        assignment = {
            "address": address,
            "scope": at,
            "role": role,
            "principal_id": object_id(principal),
            "principal_type": PRINCIPAL_TYPES[principal.split(":", 1)[0]],
        }
        claim(found, address, assignment, "role assignments", plan.name)

    # A user bound by UPN is assigned by the object id paired with it (and addressed by it, so
    # a renamed UPN moves nothing); a bare `user:<upn>`, which validation warns about, has no
    # object id and so no Azure role assignment.
    paired = {g.principal: f"user:{g.object_id}" for g in plan.grants if g.object_id}
    for principal in unique_principals(plan):
        if is_upn_user(principal) and principal not in paired:
            continue
        add(paired.get(principal, principal), ("cluster-user",), AKS_CLUSTER_USER_ROLE, scope)
    if plan.cluster.authorization == "azure-rbac":
        for grant in plan.grants:
            if grant.scope == "cluster":
                add(grant.principal, (cluster_binding_name(grant.level),), CLUSTER_ROLES[grant.level], scope)
                continue
            for ns in grant.namespaces:
                add(grant.principal, (ns, grant.level), NAMESPACE_ROLES[grant.level], f"{scope}/namespaces/{ns}")
    return [found[key] for key in sorted(found)]


def credential_name(cluster: str, namespace: str, service_account: str) -> str:
    """The federated credential's name, unique per (cluster, namespace, service account):
    several clusters federate the same managed identity, and a second credential of the same
    name would replace the first.

    `fleet-intent-<cluster>_<namespace>_<ksa>` with the service account's dots written `_`:
    cluster and namespace are DNS labels and a service account a DNS subdomain, none holding
    `_`, so the name is unambiguous. Past Azure's 120 characters it is cut and 24 hex digits
    of a SHA-256 of the whole name are appended (a collision would take 2^48 attempts).
    """
    name = f"fleet-intent-{cluster}_{namespace}_{service_account.replace('.', '_')}"
    if len(name) > FIC_NAME_MAX:
        name = f"{name[: FIC_NAME_MAX - FIC_HASH_DIGITS - 1]}-{short_hash(name, FIC_HASH_DIGITS)}"
    return name


def subscription_of(identity_id: str) -> str:
    """The subscription id (lower case) of a managed identity's resource id."""
    return identity_id.split("/")[2].lower()


def subscription_alias(subscription_id: str) -> str:
    """The alias of the `azurerm` provider for another subscription: `subscription_` and the
    GUID with `_` for `-`. A GUID is hex digits in a fixed shape, so the alias is a valid
    identifier, the same on every run, and different for every subscription."""
    return "subscription_" + subscription_id.lower().replace("-", "_")


def identity_subscriptions(plan: ClusterPlan) -> list[dict]:
    """One aliased `azurerm` provider per subscription, other than the cluster's, that holds a
    federated identity: azurerm creates a credential in its provider's subscription and takes
    only the resource group and name from `user_assigned_identity_id`
    (federated_identity_credential_resource.go), so the cluster's provider would write it
    under a same-named identity there, or fail."""
    own = plan.cluster.subscription_id.lower()
    others = {subscription_of(wi.identity_resource) for wi in plan.workload_identities if wi.identity_resource}
    return [{"alias": subscription_alias(sub), "subscription_id": sub} for sub in sorted(others - {own})]


def federated_credentials(plan: ClusterPlan) -> list[dict]:
    """One federated identity credential per workload identity, trusting the cluster's issuer,
    created through the provider of the identity's subscription."""
    own = plan.cluster.subscription_id.lower()

    def fields(wi) -> dict:
        sub = subscription_of(wi.identity_resource)
        return {
            "name": credential_name(plan.name, wi.namespace, wi.service_account),
            "identity_id": wi.identity_resource,
            "subject": f"system:serviceaccount:{wi.namespace}:{wi.service_account}",
            "provider_alias": None if sub == own else subscription_alias(sub),
        }

    return per_workload_identity(plan, fields)


def service_accounts(plan: ClusterPlan) -> list[dict]:
    """The Kubernetes service accounts, annotated with their managed identity's client id."""
    return annotated_service_accounts(plan, CLIENT_ID_ANNOTATION)