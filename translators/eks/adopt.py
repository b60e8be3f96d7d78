"""EKS adoption: which access entries, policy associations, pod identity associations and
Kubernetes objects of a cluster's root already exist, with the hashicorp/aws import ids.

Import ids (terraform-provider-aws, website/docs/r/*.html.markdown "Import", and the
importers in internal/service/eks):
- `aws_eks_access_entry`: `<cluster>:<principal ARN>` (access_entry.go splits on the first `:`
  after the cluster name: `accessEntryCreateResourceID`/`accessEntryParseResourceID`);
- `aws_eks_access_policy_association`: `<cluster>#<principal ARN>#<policy ARN>`
  (access_policy_association.go, `accessPolicyAssociationParseResourceID`);
- `aws_eks_pod_identity_association`: `<cluster>,<association id>`; the id is EKS's own
  (`a-…`), so it is taken from the association read from the cluster.
On a CONFIG_MAP cluster the aws-auth data is not imported: `kubernetes_config_map_v1_data`
has no importer, creating it takes the keys over (docs/resources/config_map_v1_data.md).
"""

from __future__ import annotations

from typing import Any

from intent.observe.adoption import AdoptionBuilder, ClusterAdoption, changed
from intent.observe.observed import principal_key
from intent.plan import ClusterPlan
from translators import kubernetes_state as k8s
from translators.kubernetes_adopt import adopt_kubernetes

from .observe import ACCESS_ENTRIES, AWS_AUTH, POD_IDENTITY, PROVIDER_ENTRY_TYPES, authentication_mode
from .render import access_entries, aws_auth_group, pod_identities
from ..common import Subject


def adopt_cluster(plan: ClusterPlan, documents: dict[str, Any]) -> ClusterAdoption:
    """The EKS cluster's generated resources that exist (to import) and those apply creates."""
    builder = AdoptionBuilder(plan.name, "eks")
    name = plan.cluster.name
    if plan.cluster.authentication_mode == "CONFIG_MAP":
        builder.note(
            "aws-auth: kubernetes_config_map_v1_data has no import; its first apply takes mapRoles/mapUsers over "
            "(force = true) and writes them as the intent says"
            + ("" if AWS_AUTH in documents else "; kube-system/aws-auth does not exist yet: apply manifests/aws-auth.yaml first")
        )
        adopt_kubernetes(builder, plan, documents, lambda g: Subject("Group", aws_auth_group(g)), [])
    else:
        adopt_access_entries(builder, plan, documents)
        adopt_kubernetes(builder, plan, documents, None, [])
    associations = _pod_identity_associations(documents)
    for item in pod_identities(plan):
        address = f"aws_eks_pod_identity_association.{item['address']}"
        found = associations.get((item["namespace"], item["service_account"]))
        if found is None:
            builder.missing(address)
            continue
        changes = [c for c in (changed("role_arn", found.get("roleArn"), item["role_arn"]),) if c]
        changes += _tag_changes(found)
        builder.exists(
            address,
            f"{name},{found['associationId']}",
            f"PodIdentityAssociation/{item['namespace']}/{item['service_account']}",
            changes,
        )
    return builder.build()


def adopt_access_entries(builder: AdoptionBuilder, plan: ClusterPlan, documents: dict[str, Any]) -> None:
    """Access entries and their policy associations (API and API_AND_CONFIG_MAP clusters)."""
    name = plan.cluster.name
    existing = _access_entries(documents) if authentication_mode(documents) != "CONFIG_MAP" else {}
    for entry in access_entries(plan):
        address = f"aws_eks_access_entry.{entry['address']}"
        candidates = existing.get(principal_key(entry["principal"]), [])
        # The entry of this very ARN if there is one, else one of the same role under another spelling.
        found = next((c for c in candidates if c[0]["principalArn"] == entry["principal"]), candidates[0] if candidates else None)
        if found is None:
            builder.missing(address)
            builder.creates.extend(f"aws_eks_access_policy_association.{a['address']}" for a in entry["associations"])
            continue
        record, policies = found
        arn = str(record["principalArn"])
        kind = str(record.get("type") or "STANDARD")
        changes = []
        replaced = False
        if arn != entry["principal"]:
            # principal_arn is ForceNew: an entry made for the same role under another spelling
            # (case, IAM path) is replaced, not adopted as it is.
            changes.append(f"principal_arn: {arn} -> {entry['principal']} (replaced)")
            replaced = True
        if kind != "STANDARD":
            changes.append(f"type: {kind} -> STANDARD (replaced)")
            replaced = True
        changes += _tag_changes(record)
        builder.exists(address, f"{name}:{arn}", f"AccessEntry/{arn}", changes, replaced)
        by_policy = {str(p.get("policyArn")): p for p in policies}
        for association in entry["associations"]:
            assoc_address = f"aws_eks_access_policy_association.{association['address']}"
            have = by_policy.get(association["policy_arn"])
            if have is None or replaced:
                builder.missing(assoc_address)
                continue
            scope = have.get("accessScope") or {}
            want_type = "namespace" if association["namespaces"] else "cluster"
            have_namespaces = sorted(map(str, scope.get("namespaces") or []))
            scope_change = changed("access_scope", _scope_text(scope.get("type"), have_namespaces),
                                   _scope_text(want_type, association["namespaces"]))
            # access_scope is ForceNew: a scope that differs is replaced (delete, then create),
            # as a real plan shows (tests/test_real_terraform_eks.py).
            builder.exists(
                assoc_address,
                f"{name}#{arn}#{association['policy_arn']}",
                f"AccessEntry/{arn}/{association['policy_arn'].rsplit('/', 1)[-1]}",
                [f"{scope_change} (replaced)"] if scope_change else [],
                replaced=bool(scope_change),
            )


def _scope_text(kind: Any, namespaces: list[str]) -> str:
    return f"namespace [{', '.join(namespaces)}]" if kind == "namespace" else str(kind or "(none)")


def _tag_changes(record: dict) -> list[str]:
    """The generated resources set no tags, so apply removes any the object carries."""
    tags = record.get("tags") or {}
    return [f"tags: {', '.join('-' + str(k) for k in sorted(tags))}"] if isinstance(tags, dict) and tags else []


def _access_entries(documents: dict[str, Any]) -> dict[str, list[tuple[dict, list]]]:
    """STANDARD access entries by principal key (IAM path and case aside), each with its
    associated policies. Entries of the node and service types are provider-managed: never
    matched, never imported."""
    out: dict[str, list[tuple[dict, list]]] = {}
    for i, item in enumerate(k8s.as_list(k8s.document(documents, ACCESS_ENTRIES), ACCESS_ENTRIES, "the document")):
        item = k8s.as_dict(item, ACCESS_ENTRIES, f"[{i}]")
        entry = k8s.as_dict(item.get("accessEntry"), ACCESS_ENTRIES, f"[{i}].accessEntry")
        arn = k8s.text(entry.get("principalArn"), ACCESS_ENTRIES, f"[{i}].accessEntry.principalArn")
        if str(entry.get("type") or "STANDARD") in PROVIDER_ENTRY_TYPES:
            continue
        policies = k8s.as_list(item.get("associatedAccessPolicies") or [], ACCESS_ENTRIES, f"[{i}].associatedAccessPolicies")
        out.setdefault(principal_key(arn), []).append((entry, [p for p in policies if isinstance(p, dict)]))
    return out


def _pod_identity_associations(documents: dict[str, Any]) -> dict[tuple[str, str], dict]:
    """Pod identity associations by (namespace, service account); each needs its id to import."""
    out = {}
    for i, item in enumerate(k8s.as_list(k8s.document(documents, POD_IDENTITY), POD_IDENTITY, "the document")):
        item = k8s.as_dict(item, POD_IDENTITY, f"[{i}]")
        assoc = k8s.as_dict(item.get("association", item), POD_IDENTITY, f"[{i}]")
        ns = k8s.text(assoc.get("namespace"), POD_IDENTITY, f"[{i}].namespace")
        sa = k8s.text(assoc.get("serviceAccount"), POD_IDENTITY, f"[{i}].serviceAccount")
        k8s.text(assoc.get("associationId"), POD_IDENTITY, f"[{i}].associationId")
        out[(ns, sa)] = assoc
    return out
