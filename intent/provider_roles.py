"""The providers' built-in access policies and roles that fleet-intent grants and reads, and the
intent level each amounts to (REFERENCE §2.3, §4.1). One table per provider: the renderers, the
observers, the diff and the Terraform check all take their names from here."""

from __future__ import annotations

# EKS access policies (arn:aws:eks::aws:cluster-access-policy/<name>) by intent level.
EKS_ACCESS_POLICIES = {
    "view": "AmazonEKSViewPolicy",
    "edit": "AmazonEKSEditPolicy",
    "admin": "AmazonEKSAdminPolicy",
    "cluster-admin": "AmazonEKSClusterAdminPolicy",
}
EKS_POLICY_LEVELS = {policy: level for level, policy in EKS_ACCESS_POLICIES.items()}

# AKS Azure RBAC data-plane roles by role definition GUID (stable; display names can be
# localised): (name, intent level).
AKS_RBAC_ROLES = {
    "7f6c6a51-bcf8-42ba-9220-52d62157d7db": ("Azure Kubernetes Service RBAC Reader", "view"),
    "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb": ("Azure Kubernetes Service RBAC Writer", "edit"),
    "3498e952-d568-435e-9b2c-8d77e338d7f7": ("Azure Kubernetes Service RBAC Admin", "admin"),
    "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b": ("Azure Kubernetes Service RBAC Cluster Admin", "cluster-admin"),
}
AKS_ROLE_NAMES = {level: name for name, level in AKS_RBAC_ROLES.values()}

# AKS control-plane roles: the user role only lets a principal fetch a kubeconfig; the admin
# role hands out the local cluster-admin kubeconfig wherever local accounts are enabled.
AKS_CLUSTER_USER_ROLE = "Azure Kubernetes Service Cluster User Role"
AKS_CLUSTER_ADMIN_ROLE = "Azure Kubernetes Service Cluster Admin Role"
AKS_CONTROL_PLANE_ROLES = {
    "4abbcc35-e782-43d8-92c5-2d3f1bd2253f": AKS_CLUSTER_USER_ROLE,
    "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8": AKS_CLUSTER_ADMIN_ROLE,
}
