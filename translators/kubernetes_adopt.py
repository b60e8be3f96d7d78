"""Adoption of the Kubernetes objects every cluster root generates: namespaces (through the
namespaces module), RBAC bindings and annotated service accounts.

Import ids are the hashicorp/kubernetes provider's (3.x), each read from its importer:
- `kubernetes_namespace_v1`: `<name>` (docs/resources/namespace_v1.md, "Import");
- `kubernetes_role_binding_v1`, `kubernetes_service_account_v1`: `<namespace>/<name>`
  (docs/resources/role_binding_v1.md, service_account_v1.md; the importer splits on `/`
  with `util.IdParts`, kubernetes/structures.go);
- `kubernetes_cluster_role_binding_v1`: `<name>` (docs/resources/cluster_role_binding_v1.md).
What the first apply changes: a binding whose roleRef differs is replaced ("After you create a
binding, you cannot change the Role or ClusterRole that it refers to", kubernetes.io
docs/reference/access-authn-authz/rbac.md, so the provider re-creates it); subjects, labels and
annotations update in place.
Labels and annotations whose prefix is a `*kubernetes.io` host (other than `app.kubernetes.io`
and `service.beta.kubernetes.io`) that the configuration does not name are left out of state by
the provider (`removeInternalKeys` / `isInternalKey`, kubernetes/structures.go), so apply never
removes them; any other label or annotation the configuration does not name, it removes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from intent.generate.render import hcl_string
from intent.observe.adoption import AdoptionBuilder
from intent.plan import ClusterPlan, Grant, plan_revision

from . import kubernetes_state as k8s
from .common import RBAC_API_GROUP, Binding, Subject, kubernetes_bindings
from .namespaces import wanted_annotations

NAMESPACE_MODULE = "module.namespaces.kubernetes_namespace_v1.this"
# The hosts isInternalKey lets through although they end in kubernetes.io.
_USER_HOSTS = frozenset({"app.kubernetes.io", "service.beta.kubernetes.io"})


def provider_internal_key(key: str) -> bool:
    """Whether the kubernetes provider keeps label or annotation `key` out of state unless the
    configuration names it (isInternalKey: the host part ends in kubernetes.io)."""
    host = key.split("/", 1)[0].rsplit(":", 1)[0].lower() if "/" in key else key.lower()
    if host in _USER_HOSTS:
        return False
    return host.endswith("kubernetes.io") or "deprecated.daemonset.template.generation" in key


def keyed(address: str, key: str) -> str:
    """`address["key"]`: the instance of a `for_each` resource, the key an HCL string."""
    return f"{address}[{hcl_string(key)}]"


def adopt_kubernetes(
    builder: AdoptionBuilder,
    plan: ClusterPlan,
    documents: dict[str, Any],
    subject_of: Callable[[Grant], Subject] | None,
    service_accounts: list[dict],
) -> None:
    """Add the cluster's namespaces, its bindings (when the root has rbac.tf: `subject_of`
    given) and its `service_accounts` (the items the root renders) to `builder`."""
    namespaces = _by_name(documents, k8s.NAMESPACES, namespaced=False)
    revision = plan_revision(plan)
    for ns in sorted(plan.namespaces, key=lambda n: n.name):
        address = keyed(NAMESPACE_MODULE, ns.name)
        found = namespaces.get((None, ns.name))
        if found is None:
            builder.missing(address)
            continue
        meta = found.get("metadata") or {}
        changes = metadata_changes(meta, dict(ns.labels), wanted_annotations(ns, revision))
        builder.exists(address, ns.name, f"Namespace/{ns.name}", changes)
    if subject_of is not None:
        role_bindings, cluster_bindings = kubernetes_bindings(plan, subject_of)
        existing = _by_name(documents, k8s.ROLE_BINDINGS, namespaced=True)
        for b in role_bindings:
            _adopt_binding(builder, f"kubernetes_role_binding_v1.{b.address}", b, existing.get((b.namespace, b.name)),
                           f"{b.namespace}/{b.name}", f"RoleBinding/{b.namespace}/{b.name}")
        existing = _by_name(documents, k8s.CLUSTER_ROLE_BINDINGS, namespaced=False)
        for b in cluster_bindings:
            _adopt_binding(builder, f"kubernetes_cluster_role_binding_v1.{b.address}", b, existing.get((None, b.name)),
                           b.name, f"ClusterRoleBinding/{b.name}")
    accounts = _by_name(documents, k8s.SERVICE_ACCOUNTS, namespaced=True)
    for account in service_accounts:
        address = f"kubernetes_service_account_v1.{account['address']}"
        found = accounts.get((account["namespace"], account["name"]))
        if found is None:
            builder.missing(address)
            continue
        changes = metadata_changes(found.get("metadata") or {}, account["labels"], account["annotations"])
        name = f"{account['namespace']}/{account['name']}"
        builder.exists(address, name, f"ServiceAccount/{name}", changes)


def _adopt_binding(builder: AdoptionBuilder, address: str, binding: Binding, found: dict | None, import_id: str, obj: str) -> None:
    if found is None:
        builder.missing(address)
        return
    changes = metadata_changes(found.get("metadata") or {}, binding.label_map, {})
    ref = found.get("roleRef") or {}
    have_ref = (ref.get("kind"), ref.get("name"))
    replaced = have_ref != ("ClusterRole", binding.role)
    if replaced:
        changes.insert(0, f"roleRef: {have_ref[0]}/{have_ref[1]} -> ClusterRole/{binding.role} (replaced: roleRef cannot change)")
    have = set()
    for subject in found.get("subjects") or []:
        if isinstance(subject, dict):
            have.add((str(subject.get("kind")), str(subject.get("name")), str(subject.get("apiGroup") or "")))
    want = {(s.kind, s.name, RBAC_API_GROUP) for s in binding.subjects}
    lost = sorted(have - want)
    gained = sorted(want - have)
    if lost or gained:
        parts = [f"+{k} {n}" for k, n, _ in gained] + [f"-{k} {n}" for k, n, _ in lost]
        changes.append("subjects: " + ", ".join(parts))
    builder.exists(address, import_id, obj, changes, replaced)


def metadata_changes(meta: dict, labels: dict[str, str], annotations: dict[str, str]) -> list[str]:
    """What apply changes on an object's labels and annotations: `+k=v` added, `~k=a->b`
    changed, `-k` removed (what the configuration does not name, provider-internal labels aside)."""
    out = []
    for what, have, want in (("labels", meta.get("labels") or {}, labels), ("annotations", meta.get("annotations") or {}, annotations)):
        have = {str(k): str(v) for k, v in have.items()} if isinstance(have, dict) else {}
        parts = []
        for key in sorted(set(have) | set(want)):
            if key not in have:
                parts.append(f"+{key}={want[key]}")
            elif key not in want:
                if not provider_internal_key(key):
                    parts.append(f"-{key}")
            elif have[key] != want[key]:
                parts.append(f"~{key}={have[key]}->{want[key]}")
        if parts:
            out.append(f"{what}: " + ", ".join(parts))
    return out


def _by_name(documents: dict[str, Any], path: str, namespaced: bool) -> dict[tuple[str | None, str], dict]:
    """The objects of a kubectl List document by (namespace, name)."""
    out = {}
    for i, item in enumerate(k8s.list_items(documents, path)):
        meta = k8s.metadata(item, path, i)
        namespace = k8s.text(meta.get("namespace"), path, f"items[{i}].metadata.namespace") if namespaced else None
        out[(namespace, meta["name"])] = item
    return out
