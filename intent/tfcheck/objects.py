"""What a user's Terraform would create, in the neutral shape the comparison reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..observed import principal_key as observed_principal_key

LEVEL_RANK = {"view": 0, "edit": 1, "admin": 2, "cluster-admin": 3}

# EKS access policies (REFERENCE §2.3) and the intent level each one amounts to.
EKS_POLICY_LEVELS = {
    "AmazonEKSViewPolicy": "view",
    "AmazonEKSEditPolicy": "edit",
    "AmazonEKSAdminPolicy": "admin",
    "AmazonEKSClusterAdminPolicy": "cluster-admin",
}

# AKS built-in roles (REFERENCE §4.1), by lower-cased name and by role definition GUID.
AKS_ROLE_LEVELS = {
    "azure kubernetes service rbac reader": "view",
    "azure kubernetes service rbac writer": "edit",
    "azure kubernetes service rbac admin": "admin",
    "azure kubernetes service rbac cluster admin": "cluster-admin",
    # Hands out the local cluster-admin kubeconfig wherever local accounts are still enabled.
    "azure kubernetes service cluster admin role": "cluster-admin",
}
AKS_ROLE_GUIDS = {
    "7f6c6a51-bcf8-42ba-9220-52d62157d7db": "azure kubernetes service rbac reader",
    "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb": "azure kubernetes service rbac writer",
    "3498e952-d568-435e-9b2c-8d77e338d7f7": "azure kubernetes service rbac admin",
    "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b": "azure kubernetes service rbac cluster admin",
    "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8": "azure kubernetes service cluster admin role",
    "4abbcc35-e782-43d8-92c5-2d3f1bd2253f": "azure kubernetes service cluster user role",
}
# Roles that give no Kubernetes data-plane access by themselves (kubeconfig download only).
AKS_NEUTRAL_ROLES = {"azure kubernetes service cluster user role"}

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
