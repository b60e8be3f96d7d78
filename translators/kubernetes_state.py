"""Reads the Kubernetes documents of a cluster (namespaces, RBAC bindings, service accounts)
into neutral records shared by the EKS, GKE and AKS observers.

Documents are `kubectl get ... -o json` outputs (a `List` with `items`); a bare JSON list of
objects is accepted too. Anything malformed raises `CollectError` naming the document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intent.observe.observed import ObservedGrant, ObservedNamespace, ObservedServiceAccount
from intent.observe.sources import CollectError

NAMESPACES = "kubernetes/namespaces.json"
ROLE_BINDINGS = "kubernetes/rolebindings.json"
CLUSTER_ROLE_BINDINGS = "kubernetes/clusterrolebindings.json"
SERVICE_ACCOUNTS = "kubernetes/serviceaccounts.json"

RBAC_GROUP = "rbac.authorization.k8s.io"
# The default user-facing ClusterRoles map one to one onto the intent's levels.
CLUSTER_ROLE_LEVELS = {"view": "view", "edit": "edit", "admin": "admin", "cluster-admin": "cluster-admin"}
# Kubernetes' own RBAC objects (SPEC §7): these carry this label and are reconciled by the API server.
BOOTSTRAP_LABEL = ("kubernetes.io/bootstrapping", "rbac-defaults")


@dataclass(frozen=True, slots=True)
class BindingGrant:
    """One subject of one (Cluster)RoleBinding, with the level it grants.

    `namespace` is None for a ClusterRoleBinding. `level` is an intent level or
    `other:<Kind>/<name>` for any other role.
    """

    subject_kind: str  # User | Group
    subject_name: str
    level: str
    namespace: str | None
    object: str


def document(documents: dict[str, Any], path: str) -> Any:
    """The parsed document at `path`, or CollectError when it is missing."""
    if path not in documents:
        raise CollectError(f"{path}: missing")
    return documents[path]


def fail(path: str, what: str) -> CollectError:
    """A CollectError saying what is wrong in document `path`."""
    return CollectError(f"{path}: {what}")


def as_dict(value: Any, path: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(path, f"{where} is not a JSON object")
    return value


def as_list(value: Any, path: str, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise fail(path, f"{where} is not a JSON list")
    return value


def text(value: Any, path: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise fail(path, f"{where} is not a non-empty string")
    return value


def list_items(documents: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The objects of a kubectl List (or a bare list) at `path`."""
    doc = document(documents, path)
    if isinstance(doc, dict):
        if "items" not in doc:
            raise fail(path, "is not a kubectl List (no 'items')")
        doc = doc["items"] if doc["items"] is not None else []
    items = as_list(doc, path, "the document")
    return [as_dict(item, path, f"items[{i}]") for i, item in enumerate(items)]


def metadata(item: dict[str, Any], path: str, index: int) -> dict[str, Any]:
    meta = as_dict(item.get("metadata"), path, f"items[{index}].metadata")
    text(meta.get("name"), path, f"items[{index}].metadata.name")
    for key in ("labels", "annotations"):
        value = meta.get(key)
        if value is not None:
            as_dict(value, path, f"items[{index}].metadata.{key}")
    return meta


def string_pairs(mapping: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in (mapping or {}).items()))


def parse_namespaces(documents: dict[str, Any]) -> tuple[ObservedNamespace, ...]:
    """Every namespace with its labels and annotations."""
    out = []
    for i, item in enumerate(list_items(documents, NAMESPACES)):
        meta = metadata(item, NAMESPACES, i)
        out.append(ObservedNamespace(meta["name"], string_pairs(meta.get("labels")), string_pairs(meta.get("annotations"))))
    return tuple(sorted(out, key=lambda ns: ns.name))


def parse_service_accounts(documents: dict[str, Any]) -> tuple[ObservedServiceAccount, ...]:
    """Every service account with its annotations."""
    out = []
    for i, item in enumerate(list_items(documents, SERVICE_ACCOUNTS)):
        meta = metadata(item, SERVICE_ACCOUNTS, i)
        namespace = text(meta.get("namespace"), SERVICE_ACCOUNTS, f"items[{i}].metadata.namespace")
        out.append(ObservedServiceAccount(namespace, meta["name"], string_pairs(meta.get("annotations"))))
    return tuple(sorted(out, key=lambda sa: (sa.namespace, sa.name)))


def provider_managed_rbac(meta: dict[str, Any]) -> bool:
    """True for Kubernetes' own RBAC objects, which are never drift (SPEC §7)."""
    labels = meta.get("labels") or {}
    return meta["name"].startswith("system:") or labels.get(BOOTSTRAP_LABEL[0]) == BOOTSTRAP_LABEL[1]


def parse_bindings(documents: dict[str, Any]) -> tuple[BindingGrant, ...]:
    """The User and Group subjects of every RoleBinding and ClusterRoleBinding.

    Kubernetes' own bindings are left out, and so are ServiceAccount subjects and `system:*`
    users and groups (the intent grants access to people and CI principals, not to pods or
    the control plane). Subjects are normalised (an empty apiGroup means RBAC's) so that
    bindings compare by meaning, never by object name.
    """
    out: list[BindingGrant] = []
    for path, namespaced in ((ROLE_BINDINGS, True), (CLUSTER_ROLE_BINDINGS, False)):
        for i, item in enumerate(list_items(documents, path)):
            meta = metadata(item, path, i)
            if provider_managed_rbac(meta):
                continue
            namespace = text(meta.get("namespace"), path, f"items[{i}].metadata.namespace") if namespaced else None
            ref = as_dict(item.get("roleRef"), path, f"items[{i}].roleRef")
            kind = text(ref.get("kind"), path, f"items[{i}].roleRef.kind")
            name = text(ref.get("name"), path, f"items[{i}].roleRef.name")
            if kind == "ClusterRole" and name in CLUSTER_ROLE_LEVELS:
                level = CLUSTER_ROLE_LEVELS[name]
            else:
                level = f"other:{kind}/{name}"
            obj = f"RoleBinding/{namespace}/{meta['name']}" if namespaced else f"ClusterRoleBinding/{meta['name']}"
            for j, subject in enumerate(as_list(item.get("subjects") or [], path, f"items[{i}].subjects")):
                subject = as_dict(subject, path, f"items[{i}].subjects[{j}]")
                s_kind = text(subject.get("kind"), path, f"items[{i}].subjects[{j}].kind")
                s_name = text(subject.get("name"), path, f"items[{i}].subjects[{j}].name")
                api_group = subject.get("apiGroup") or (RBAC_GROUP if s_kind in ("User", "Group") else "")
                if s_kind not in ("User", "Group") or api_group != RBAC_GROUP or s_name.startswith("system:"):
                    continue
                out.append(BindingGrant(s_kind, s_name, level, namespace, obj))
    return tuple(out)


def binding_grants(documents: dict[str, Any], principal_of: Callable[[str, str], str | None]) -> tuple[ObservedGrant, ...]:
    """Grants from RoleBindings/ClusterRoleBindings whose subject (kind, name) `principal_of`
    names as an intent principal (None: not one this provider grants to through RBAC)."""
    out = []
    for b in parse_bindings(documents):
        principal = principal_of(b.subject_kind, b.subject_name)
        if principal is None:
            continue
        scope = "namespace" if b.namespace else "cluster"
        out.append(ObservedGrant(principal, b.level, scope, (b.namespace,) if b.namespace else (), b.object, b.object))
    return tuple(out)


def binding_grants_by_subject(bindings: tuple[BindingGrant, ...]) -> dict[tuple[str, str], list[BindingGrant]]:
    """Bindings indexed by (subject kind, subject name)."""
    index: dict[tuple[str, str], list[BindingGrant]] = {}
    for b in bindings:
        index.setdefault((b.subject_kind, b.subject_name), []).append(b)
    return index

