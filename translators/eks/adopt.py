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
from translators.kubernetes_admission_adopt import adopt_admission

from .observe import AWS_AUTH, POD_IDENTITY, AccessEntryRecord, access_entry_records, authentication_mode, pod_identity_records
from .render import access_entries, aws_auth_group, cluster_admin_subjects, pod_identities
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
    adopt_admission(builder, plan, documents, cluster_admin_subjects(plan))
    associations = _pod_identity_associations(documents)
    for item in pod_identities(plan):
        address = f"aws_eks_pod_identity_association.{item['address']}"
        found = associations.get((item["namespace"], item["service_account"]))
        if found is None:
            builder.missing(address)
            continue
        changes = [c for c in (changed("role_arn", found.get("roleArn"), item["role_arn"]),) if c]
        tags = found.get("tags")
        changes += _tag_changes(sorted(map(str, tags)) if isinstance(tags, dict) else ())
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
        record = next((c for c in candidates if c.arn == entry["principal"]), candidates[0] if candidates else None)
        if record is None:
            builder.missing(address)
            builder.creates.extend(f"aws_eks_access_policy_association.{a['address']}" for a in entry["associations"])
            continue
        arn, kind = record.arn, record.type
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
        changes += _tag_changes(record.tags)
        builder.exists(address, f"{name}:{arn}", f"AccessEntry/{arn}", changes, replaced)
        by_policy = dict(record.policies)
        for association in entry["associations"]:
            assoc_address = f"aws_eks_access_policy_association.{association['address']}"
            if association["policy_arn"] not in by_policy or replaced:
                builder.missing(assoc_address)
                continue
            have = by_policy[association["policy_arn"]]
            scope_change = changed("access_scope", _scope_text(have), _scope_text(association["namespaces"] or None))
            # access_scope is ForceNew: a scope that differs is replaced (delete, then create),
            # as a real plan shows (tests/test_real_terraform_eks.py).
            builder.exists(
                assoc_address,
                f"{name}#{arn}#{association['policy_arn']}",
                f"AccessEntry/{arn}/{association['policy_arn'].rsplit('/', 1)[-1]}",
                [f"{scope_change} (replaced)"] if scope_change else [],
                replaced=bool(scope_change),
            )


def _scope_text(namespaces) -> str:
    """An access scope as the summary shows it: `cluster`, or `namespace [a, b]`."""
    return "cluster" if namespaces is None else f"namespace [{', '.join(sorted(namespaces))}]"


def _tag_changes(tags) -> list[str]:
    """The generated resources set no tags, so apply removes any the object carries."""
    return [f"tags: {', '.join('-' + k for k in tags)}"] if tags else []


def _access_entries(documents: dict[str, Any]) -> dict[str, list[AccessEntryRecord]]:
    """STANDARD access entries by principal key (IAM path and case aside). Entries of the node
    and service types are provider-managed: never matched, never imported."""
    out: dict[str, list[AccessEntryRecord]] = {}
    for record in access_entry_records(documents):
        if not record.provider_managed:
            out.setdefault(principal_key(record.arn), []).append(record)
    return out


def _pod_identity_associations(documents: dict[str, Any]) -> dict[tuple[str, str], dict]:
    """Pod identity associations by (namespace, service account); each needs its id to import."""
    out = {}
    for i, assoc in enumerate(pod_identity_records(documents)):
        k8s.text(assoc.get("associationId"), POD_IDENTITY, f"[{i}].associationId")
        out[(assoc["namespace"], assoc["serviceAccount"])] = assoc
    return out
