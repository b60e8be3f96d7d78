"""Reads an EKS cluster's documents (describe-cluster, access entries, aws-auth, pod identity
associations, Kubernetes RBAC) into the neutral `ObservedState`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from intent.observe.observed import (
    AWS_AUTH_NODE_GROUPS,
    ObservedGrant,
    ObservedState,
    ObservedWorkloadIdentity,
    aws_auth_node_kind,
    plan_spelling,
    principal_key,
)
from intent.plan import ClusterPlan
from intent.provider_roles import EKS_POLICY_LEVELS
from intent.yamlsafe import SAFE_LOADER
from translators import kubernetes_state as k8s
from translators.kubernetes_admission import parse_admission

CLUSTER = "aws/cluster.json"
ACCESS_ENTRIES = "aws/access-entries.json"
POD_IDENTITY = "aws/pod-identity-associations.json"
AWS_AUTH = "kubernetes/aws-auth.json"

# Access entry types EKS manages for nodes and other AWS services (SPEC §7).
PROVIDER_ENTRY_TYPES = frozenset({"EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2", "HYPERPOD_LINUX"})
MASTERS = "system:masters"


def observe_cluster(plan: ClusterPlan, documents: dict[str, Any]) -> ObservedState:
    """The observed state of EKS cluster `plan.name` from its snapshot documents."""
    mode = authentication_mode(documents)
    spelling = plan_spelling([g.principal for g in plan.grants])
    bindings = k8s.binding_grants_by_subject(k8s.parse_bindings(documents))
    grants: list[ObservedGrant] = []
    node_roles: tuple[tuple[str, str], ...] = ()
    aws_auth_present = None
    # EKS reads only the store(s) the mode enables: access entries unless CONFIG_MAP,
    # aws-auth unless API (an API cluster ignores a leftover aws-auth ConfigMap).
    if mode != "CONFIG_MAP":
        grants += access_entry_grants(documents, spelling, bindings)
    if mode != "API":
        mapped, node_roles = aws_auth_grants(documents, spelling, bindings, managed=mode == "CONFIG_MAP")
        grants += mapped
        # Absent in a snapshot, or 404 live (intent/observe/kubelive.py): the cluster has none.
        aws_auth_present = AWS_AUTH in documents
    return ObservedState(
        cluster=plan.name,
        provider="eks",
        namespaces=k8s.parse_namespaces(documents),
        grants=tuple(grants),
        workload_identities=pod_identities(documents),
        service_accounts=k8s.parse_service_accounts(documents),
        settings=(("authenticationMode", mode),),
        node_roles=node_roles,
        aws_auth_present=aws_auth_present,
        admission=parse_admission(plan, documents),
    )


def authentication_mode(documents: dict[str, Any]) -> str:
    """`accessConfig.authenticationMode`; clusters created before access entries have none
    and run CONFIG_MAP (the API's default)."""
    doc = k8s.as_dict(k8s.document(documents, CLUSTER), CLUSTER, "the document")
    cluster = k8s.as_dict(doc.get("cluster", doc), CLUSTER, "cluster")
    access = k8s.as_dict(cluster.get("accessConfig") or {}, CLUSTER, "cluster.accessConfig")
    return str(access.get("authenticationMode") or "CONFIG_MAP")


def _group_grants(principal, groups, username, bindings, obj, via, managed) -> list[ObservedGrant]:
    out = []
    subjects = [("Group", g) for g in groups] + ([("User", username)] if username else [])
    for subject in subjects:
        for b in bindings.get(subject, []):
            scope = "namespace" if b.namespace else "cluster"
            namespaces = (b.namespace,) if b.namespace else ()
            out.append(ObservedGrant(principal, b.level, scope, namespaces, obj, f"{via} -> {b.object}", managed=managed))
    return out


@dataclass(frozen=True, slots=True)
class AccessEntryRecord:
    """One access entry of `aws/access-entries.json`, its shape checked: what observe, adopt and
    migrate-eks read of it. `policies` are (policy ARN, namespaces as listed; None for cluster
    scope); `tags` the tag keys."""

    arn: str
    type: str
    username: str | None
    groups: tuple[str, ...]
    policies: tuple[tuple[str, tuple[str, ...] | None], ...]
    tags: tuple[str, ...] = ()

    @property
    def provider_managed(self) -> bool:
        """An entry EKS makes for nodes or another AWS service (SPEC §7)."""
        return self.type in PROVIDER_ENTRY_TYPES


def access_entry_records(documents) -> list[AccessEntryRecord]:
    """Every access entry of the cluster, all types, in document order (CollectError naming the
    field when the document is not what `aws eks describe-access-entry` and
    `list-associated-access-policies` give)."""
    out = []
    for i, item in enumerate(k8s.as_list(k8s.document(documents, ACCESS_ENTRIES), ACCESS_ENTRIES, "the document")):
        item = k8s.as_dict(item, ACCESS_ENTRIES, f"[{i}]")
        entry = k8s.as_dict(item.get("accessEntry"), ACCESS_ENTRIES, f"[{i}].accessEntry")
        arn = k8s.text(entry.get("principalArn"), ACCESS_ENTRIES, f"[{i}].accessEntry.principalArn")
        policies: list[tuple[str, tuple[str, ...] | None]] = []
        listed = k8s.as_list(item.get("associatedAccessPolicies") or [], ACCESS_ENTRIES, f"[{i}].associatedAccessPolicies")
        for j, assoc in enumerate(listed):
            where = f"[{i}].associatedAccessPolicies[{j}]"
            assoc = k8s.as_dict(assoc, ACCESS_ENTRIES, where)
            policy = k8s.text(assoc.get("policyArn"), ACCESS_ENTRIES, f"{where}.policyArn")
            scope = k8s.as_dict(assoc.get("accessScope"), ACCESS_ENTRIES, f"{where}.accessScope")
            if scope.get("type") == "namespace":
                namespaces = k8s.as_list(scope.get("namespaces") or [], ACCESS_ENTRIES, f"{where}.accessScope.namespaces")
                policies.append((policy, tuple(map(str, namespaces))))
            elif scope.get("type") == "cluster":
                policies.append((policy, None))
            else:
                raise k8s.fail(ACCESS_ENTRIES, f"{where}.accessScope.type is neither 'cluster' nor 'namespace'")
        groups = k8s.as_list(entry.get("kubernetesGroups") or [], ACCESS_ENTRIES, f"[{i}].accessEntry.kubernetesGroups")
        username = entry.get("username")
        tags = entry.get("tags")
        out.append(AccessEntryRecord(
            arn,
            str(entry.get("type") or "STANDARD"),
            str(username) if username else None,
            tuple(map(str, groups)),
            tuple(policies),
            tuple(sorted(map(str, tags))) if isinstance(tags, dict) else (),
        ))
    return out


def access_entry_grants(documents, spelling, bindings) -> list[ObservedGrant]:
    """Grants from STANDARD access entries: their policy associations and Kubernetes groups."""
    out: list[ObservedGrant] = []
    for record in access_entry_records(documents):
        if record.provider_managed:
            continue
        principal = spelling.get(principal_key(record.arn), record.arn)
        obj = f"AccessEntry/{record.arn}"
        for policy, namespaces in record.policies:
            name = policy.rsplit("/", 1)[-1]
            level = EKS_POLICY_LEVELS.get(name, f"other:{name}")
            if namespaces is None:
                out.append(ObservedGrant(principal, level, "cluster", (), obj, name))
            else:
                out.append(ObservedGrant(principal, level, "namespace", namespaces, obj, name))
        out += _group_grants(principal, list(record.groups), record.username, bindings, obj, "access entry group", True)
    return out


def aws_auth_entries(documents) -> list[tuple[str, str, str | None, list[str]]]:
    """(mapRoles|mapUsers, ARN, username, groups) of each aws-auth mapping; none without aws-auth."""
    if AWS_AUTH not in documents:
        return []
    doc = k8s.as_dict(documents[AWS_AUTH], AWS_AUTH, "the document")
    # `{}` or another object is not "no mappings": it is a snapshot of the wrong thing.
    kind = doc.get("kind")
    if kind != "ConfigMap":
        shown = repr(kind[:40]) if isinstance(kind, str) else "missing"
        raise k8s.fail(AWS_AUTH, f"is not a ConfigMap (kind {shown}); expected kubectl -n kube-system get configmap aws-auth -o json")
    name = k8s.as_dict(doc.get("metadata") or {}, AWS_AUTH, "metadata").get("name")
    if name is not None and name != "aws-auth":
        shown = repr(name[:40]) if isinstance(name, str) else "not a string"
        raise k8s.fail(AWS_AUTH, f"is ConfigMap {shown}, not the aws-auth ConfigMap")
    data = k8s.as_dict(doc.get("data") or {}, AWS_AUTH, "data")
    out = []
    for key, arn_field in (("mapRoles", "rolearn"), ("mapUsers", "userarn")):
        raw = data.get(key)
        if raw is None or not str(raw).strip():
            continue
        try:
            entries = yaml.load(str(raw), Loader=SAFE_LOADER)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            raise k8s.fail(AWS_AUTH, f"data.{key} is not valid YAML{where}") from None
        for i, entry in enumerate(k8s.as_list(entries or [], AWS_AUTH, f"data.{key}")):
            entry = k8s.as_dict(entry, AWS_AUTH, f"data.{key}[{i}]")
            arn = k8s.text(entry.get(arn_field), AWS_AUTH, f"data.{key}[{i}].{arn_field}")
            groups = [str(g) for g in k8s.as_list(entry.get("groups") or [], AWS_AUTH, f"data.{key}[{i}].groups")]
            out.append((key, arn, entry.get("username"), groups))
    return out


def aws_auth_grants(documents, spelling, bindings, managed: bool) -> tuple[list[ObservedGrant], tuple[tuple[str, str], ...]]:
    """Grants from aws-auth mappings, and the node roles it maps as (ARN, kind)."""
    out: list[ObservedGrant] = []
    nodes: list[tuple[str, str]] = []
    for key, arn, username, groups in aws_auth_entries(documents):
        kind = aws_auth_node_kind(groups)
        if kind is not None:
            nodes.append((arn, kind))
            continue
        rest = [g for g in groups if g not in AWS_AUTH_NODE_GROUPS]
        principal = spelling.get(principal_key(arn), arn)
        obj = f"aws-auth/{key}/{arn}"
        found: list[ObservedGrant] = []
        if MASTERS in rest:
            found.append(ObservedGrant(principal, "cluster-admin", "cluster", (), obj, "aws-auth group system:masters", True, managed))
        found += _group_grants(principal, [g for g in rest if g != MASTERS], username, bindings, obj, "aws-auth group", managed)
        if not found and not managed:
            # Any mapping beyond node roles is drift where fleet-intent writes no aws-auth.
            found.append(ObservedGrant(principal, f"other:groups {','.join(groups) or '(none)'}", "cluster", (), obj, "aws-auth", managed=False))
        out += found
    return out, tuple(nodes)


def pod_identity_records(documents) -> list[dict[str, Any]]:
    """The pod identity associations of `aws/pod-identity-associations.json` (each as
    `describe-pod-identity-association` gives it, or its `association`), with namespace,
    service account and role checked."""
    out = []
    for i, item in enumerate(k8s.as_list(k8s.document(documents, POD_IDENTITY), POD_IDENTITY, "the document")):
        item = k8s.as_dict(item, POD_IDENTITY, f"[{i}]")
        assoc = k8s.as_dict(item.get("association", item), POD_IDENTITY, f"[{i}]")
        for key in ("namespace", "serviceAccount", "roleArn"):
            k8s.text(assoc.get(key), POD_IDENTITY, f"[{i}].{key}")
        out.append(assoc)
    return out


def pod_identities(documents) -> tuple[ObservedWorkloadIdentity, ...]:
    """Pod identity associations as (namespace, service account, role ARN)."""
    return tuple(
        ObservedWorkloadIdentity(a["namespace"], a["serviceAccount"], a["roleArn"], f"PodIdentityAssociation/{a['namespace']}/{a['serviceAccount']}")
        for a in pod_identity_records(documents)
    )
