"""Reads a GKE cluster's documents (cluster, project IAM, service-account IAM, Kubernetes
RBAC) into the neutral `ObservedState`."""

from __future__ import annotations

import re
from typing import Any

from intent.observe.observed import (
    ObservedCloudRole,
    ObservedState,
    ObservedWorkloadIdentity,
    plan_spelling,
    principal_key,
)
from intent.plan import ClusterPlan
from translators import kubernetes_state as k8s
from translators.kubernetes_admission import parse_admission

CLUSTER = "gcp/cluster.json"
PROJECT_IAM = "gcp/project-iam.json"
SA_IAM_DIR = "gcp/service-account-iam/"
WI_ROLE = "roles/iam.workloadIdentityUser"
# Project roles the check looks at (SPEC §8); every other role is out of scope.
BASIC_ROLES = frozenset({"roles/owner", "roles/editor"})
# Google-managed service agents hold container roles by design (provider-managed).
SERVICE_AGENT = re.compile(
    r"serviceAccount:(service-\d+@[a-z0-9-]+\.iam\.gserviceaccount\.com|\d+@cloudservices\.gserviceaccount\.com)"
)


def observe_cluster(plan: ClusterPlan, documents: dict[str, Any]) -> ObservedState:
    """The observed state of GKE cluster `plan.name` from its snapshot documents."""
    project = plan.cluster.project
    spelling = plan_spelling([g.principal for g in plan.grants])
    return ObservedState(
        cluster=plan.name,
        provider="gke",
        namespaces=k8s.parse_namespaces(documents),
        grants=k8s.binding_grants(documents, lambda kind, name: subject_principal(kind, name, spelling)),
        cloud_roles=project_roles(documents, project, spelling),
        workload_identities=workload_bindings(documents, project),
        service_accounts=k8s.parse_service_accounts(documents),
        settings=cluster_settings(documents),
        admission=parse_admission(plan, documents),
    )


def cluster_settings(documents) -> tuple[tuple[str, Any], ...]:
    """workloadPool and securityGroup (None when Google Groups for RBAC is off)."""
    cluster = k8s.as_dict(k8s.document(documents, CLUSTER), CLUSTER, "the document")
    wi = k8s.as_dict(cluster.get("workloadIdentityConfig") or {}, CLUSTER, "workloadIdentityConfig")
    groups = k8s.as_dict(cluster.get("authenticatorGroupsConfig") or {}, CLUSTER, "authenticatorGroupsConfig")
    # The API reports securityGroup only while enabled; a stale value with enabled=false is off.
    group = groups.get("securityGroup") if groups.get("enabled", bool(groups.get("securityGroup"))) else None
    return (("workloadPool", wi.get("workloadPool") or None), ("securityGroup", group or None))


def subject_principal(kind: str, name: str, spelling: dict[str, str]) -> str | None:
    """The intent spelling of an RBAC subject; None for subjects that are not Google identities."""
    if "@" not in name:
        return None  # certificate users such as `kubelet`: provider-managed
    if kind == "Group":
        principal = f"group:{name}"
    elif name.endswith(".gserviceaccount.com"):
        principal = f"serviceAccount:{name}"
    else:
        principal = f"user:{name}"
    return spelling.get(principal_key(principal), principal)


def iam_bindings(doc: Any, path: str) -> list[tuple[str, list[str]]]:
    """(role, members) of an IAM policy document."""
    policy = k8s.as_dict(doc, path, "the document")
    out = []
    for i, binding in enumerate(k8s.as_list(policy.get("bindings") or [], path, "bindings")):
        binding = k8s.as_dict(binding, path, f"bindings[{i}]")
        role = k8s.text(binding.get("role"), path, f"bindings[{i}].role")
        members = [str(m) for m in k8s.as_list(binding.get("members") or [], path, f"bindings[{i}].members")]
        out.append((role, members))
    return out


def project_roles(documents, project: str, spelling) -> tuple[ObservedCloudRole, ...]:
    """Project IAM bindings of basic and Kubernetes Engine roles, service agents left out."""
    out = []
    for role, members in iam_bindings(k8s.document(documents, PROJECT_IAM), PROJECT_IAM):
        if not (role in BASIC_ROLES or role.startswith("roles/container.")) or role.endswith("serviceAgent"):
            continue
        for member in members:
            if SERVICE_AGENT.fullmatch(member) or member.startswith("deleted:"):
                continue
            principal = spelling.get(principal_key(member), member)
            out.append(ObservedCloudRole(principal, role, f"ProjectIAM/{project}/{role}/{member}"))
    return tuple(out)


def workload_bindings(documents, project: str) -> tuple[ObservedWorkloadIdentity, ...]:
    """roles/iam.workloadIdentityUser members of this cluster's workload pool, per Google SA."""
    member = re.compile(rf"serviceAccount:{re.escape(project)}\.svc\.id\.goog\[([^/\]]+)/([^\]]+)\]")
    out = []
    for path in sorted(p for p in documents if p.startswith(SA_IAM_DIR)):
        email = path[len(SA_IAM_DIR):].removesuffix(".json")
        for role, members in iam_bindings(documents[path], path):
            if role != WI_ROLE:
                continue
            for m in members:
                found = member.fullmatch(m)
                if found:
                    ns, ksa = found.groups()
                    out.append(ObservedWorkloadIdentity(ns, ksa, email, f"ServiceAccountIAM/{email}/{m}"))
    return tuple(out)
