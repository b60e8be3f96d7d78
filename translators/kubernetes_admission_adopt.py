"""Adoption of a cluster's admission objects (SPEC §12, §13): the fleet-intent-system
namespace, the parameter ConfigMaps, the policies and their bindings that `admission.tf`
declares as `kubernetes_manifest` resources.

Import id (hashicorp/terraform-provider-kubernetes docs/resources/manifest.md, "Importing
existing Kubernetes resources as kubernetes_manifest"):
`apiVersion=<string>,kind=<string>,[namespace=<string>,]name=<string>`, the namespace only for
namespaced objects. `kubernetes_manifest` applies with server-side apply, so the first apply
sets the fields the manifest names and leaves others (labels it does not name, server
defaults) alone: the changes listed are those fields only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from intent.admission import admission_objects
from intent.observe.adoption import AdoptionBuilder
from intent.observe.sources import ADMISSION_BINDINGS, ADMISSION_PARAMS, ADMISSION_POLICIES
from intent.plan import ClusterPlan
from intent.quoting import shorten
from intent.safeio import printable

from . import kubernetes_state as k8s
from .common import admission_address
from .kubernetes_admission import not_served, without_match_defaults

DOCUMENTS = {
    "Namespace": k8s.NAMESPACES,
    "ConfigMap": ADMISSION_PARAMS,
    "ValidatingAdmissionPolicy": ADMISSION_POLICIES,
    "ValidatingAdmissionPolicyBinding": ADMISSION_BINDINGS,
}


def import_id(obj: dict[str, Any]) -> str:
    """The kubernetes_manifest import id of a generated object."""
    meta = obj["metadata"]
    namespace = f"namespace={meta['namespace']}," if meta.get("namespace") else ""
    return f"apiVersion={obj['apiVersion']},kind={obj['kind']},{namespace}name={meta['name']}"


def adopt_admission(
    builder: AdoptionBuilder, plan: ClusterPlan, documents: dict[str, Any], cluster_admins: Iterable[tuple[str, str]]
) -> None:
    """Add the cluster's admission objects to `builder` (nothing without `admission:`)."""
    objects = admission_objects(plan, cluster_admins)
    if not objects:
        return
    unserved = any(path in documents and not_served(documents, path) for path in (ADMISSION_POLICIES, ADMISSION_BINDINGS))
    if unserved:
        builder.note("admission: the cluster does not serve admissionregistration.k8s.io/v1 (Kubernetes before 1.30): "
                     "its policies and bindings cannot be applied until it is upgraded")
    existing = {kind: _by_name(documents, path) for kind, path in DOCUMENTS.items()
                if not (unserved and kind.startswith("ValidatingAdmission"))}
    for obj in objects:
        address = f"kubernetes_manifest.{admission_address(obj)}"
        meta = obj["metadata"]
        found = existing.get(obj["kind"], {}).get((meta.get("namespace"), meta["name"]))
        if found is None:
            builder.missing(address)
            continue
        name = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
        builder.exists(address, import_id(obj), f"{obj['kind']}/{name}", changes(obj, found))


def changes(want: dict[str, Any], have: dict[str, Any]) -> list[str]:
    """What server-side apply of `want` changes on `have`: the labels it names, then the
    ConfigMap's data keys or the spec fields that differ (server defaults aside)."""
    out = []
    labels = have.get("metadata", {}).get("labels") or {}
    labels = labels if isinstance(labels, dict) else {}
    parts = [f"+{k}={v}" if k not in labels else f"~{k}={_shown(labels[k])}->{v}"
             for k, v in sorted(want["metadata"].get("labels", {}).items()) if labels.get(k) != v]
    if parts:
        out.append("labels: " + ", ".join(parts))
    if want["kind"] == "ConfigMap":
        data = have.get("data") or {}
        data = data if isinstance(data, dict) else {}
        wanted = want["data"]
        # The manifest owns the whole `data` map, so keys it does not name are removed.
        parts = [f"+{k}={v}" if k not in data else f"~{k}={_shown(data[k])}->{v}"
                 for k, v in sorted(wanted.items()) if data.get(k) != v]
        parts += [f"-{_shown(k)}" for k in sorted(set(data) - set(wanted))]
        if parts:
            out.append("data: " + ", ".join(parts))
    elif "spec" in want:
        spec = dict(have.get("spec") or {}) if isinstance(have.get("spec"), dict) else {}
        for key in ("matchConstraints", "matchResources"):
            if isinstance(spec.get(key), dict):
                spec[key] = without_match_defaults(spec[key], "", key) or None
        if spec.get("matchResources") is None:
            spec.pop("matchResources", None)
        differing = sorted(k for k in set(want["spec"]) | set(spec) if want["spec"].get(k) != spec.get(k))
        if differing:
            out.append("spec: " + ", ".join(_shown(k) for k in differing) + " set as generated")
    return out


def _shown(value: Any) -> str:
    return shorten(printable(str(value)), 60)


def _by_name(documents: dict[str, Any], path: str) -> dict[tuple[str | None, str], dict]:
    """The objects of a List document by (namespace, name); empty when the document is absent."""
    if path not in documents:
        return {}
    out = {}
    for i, item in enumerate(k8s.list_items(documents, path)):
        meta = k8s.metadata(item, path, i)
        namespace = meta.get("namespace")
        out[(namespace if isinstance(namespace, str) else None, meta["name"])] = item
    return out
