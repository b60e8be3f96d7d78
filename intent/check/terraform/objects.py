"""What a user's Terraform would create, in the neutral shape the comparison reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from intent.observe.observed import principal_key as observed_principal_key
from intent.provider_roles import (
    AKS_CLUSTER_ADMIN_ROLE,
    AKS_CLUSTER_USER_ROLE,
    AKS_CONTROL_PLANE_ROLES,
    AKS_RBAC_ROLES,
)

LEVEL_RANK = {"view": 0, "edit": 1, "admin": 2, "cluster-admin": 3}

# AKS built-in roles by lower-cased name (Terraform may name a role instead of its id) and by
# role definition GUID. The Cluster Admin Role hands out the local cluster-admin kubeconfig
# wherever local accounts are still enabled; the Cluster User Role alone grants nothing.
AKS_ROLE_LEVELS = {name.lower(): level for name, level in AKS_RBAC_ROLES.values()} | {
    AKS_CLUSTER_ADMIN_ROLE.lower(): "cluster-admin"
}
AKS_ROLE_GUIDS = {guid: name.lower() for guid, (name, _) in AKS_RBAC_ROLES.items()} | {
    guid: name.lower() for guid, name in AKS_CONTROL_PLANE_ROLES.items()
}
AKS_NEUTRAL_ROLES = {AKS_CLUSTER_USER_ROLE.lower()}

WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"


@dataclass(frozen=True, slots=True)
class Source:
    """Where an object is written: Terraform address (plus an item key), file and block line."""

    address: str
    file: str
    line: int
    item: str | None = None

    @property
    def object(self) -> str:
        """The finding's `object`: the address, with `["item"]` for an entry inside a block."""
        return f'{self.address}["{self.item}"]' if self.item is not None else self.address


@dataclass(frozen=True, slots=True)
class TfNamespace:
    """A namespace a template creates; `labels` values may be `Expr`, or the whole map may be."""

    name: str
    labels: Any
    source: Source


@dataclass(frozen=True, slots=True)
class TfGrant:
    """Access a template gives one principal on one provider.

    `level` is None when the extent is unknown to fleet-intent (custom Kubernetes groups,
    other access policies). `cluster` is set when the object itself names an intent cluster.
    """

    provider: str  # eks | gke | aks
    principal: str
    level: str | None
    scope: str  # cluster | namespace
    namespaces: tuple[str, ...]
    via: str
    mechanism: str  # access-entry | aws-auth | role-assignment
    source: Source
    cluster: str | None = None

    @property
    def key(self) -> str:
        """The principal as compared: ARNs and object ids match case-insensitively."""
        return principal_key(self.principal)


@dataclass(frozen=True, slots=True)
class TfWorkloadIdentity:
    """A GKE Workload Identity member a template binds to a Google service account."""

    project: str
    namespace: str
    service_account: str
    gsa: str | None  # None when service_account_id is not a literal
    source: Source
    gsa_expr: str | None = None


@dataclass(frozen=True, slots=True)
class Unevaluated:
    """A value that is not a literal, so fleet-intent cannot compare it."""

    expr: str
    what: str
    rule: str
    source: Source
    provider: str | None = None
    namespace: str | None = None


@dataclass
class Extracted:
    """Everything read from one module directory."""

    namespaces: list[TfNamespace] = field(default_factory=list)
    grants: list[TfGrant] = field(default_factory=list)
    identities: list[TfWorkloadIdentity] = field(default_factory=list)
    unevaluated: list[Unevaluated] = field(default_factory=list)
    # Providers whose grants this template manages at all (so a missing grant means something).
    grant_providers: set[str] = field(default_factory=set)
    # "namespaces" or a provider: some of its values could not be evaluated, so absence proves nothing.
    incomplete: set[str] = field(default_factory=set)


def principal_key(principal: str) -> str:
    """A principal for comparison: IAM ARNs as the live check compares them (paths stripped,
    since aws-auth cannot carry one); otherwise the intent's `kind:` prefix dropped, lower-cased."""
    text = principal.strip()
    if text.startswith("arn:"):
        return observed_principal_key(text)
    if ":" in text:
        kind, rest = text.split(":", 1)
        if kind in ("group", "user", "servicePrincipal"):
            text = rest
    return text.lower()
