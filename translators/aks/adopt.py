"""AKS adoption: which role assignments, federated identity credentials and Kubernetes objects
of a cluster's root already exist, with the hashicorp/azurerm import ids.

Import ids (terraform-provider-azurerm, website/docs/r/role_assignment.html.markdown and
federated_identity_credential.html.markdown, "Import"):
- `azurerm_role_assignment`: the assignment's full ARM id,
  `{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`. The GUID is Azure's own
  (random, or chosen by whoever made it), so the id is the one read from the assignment; the
  importer validates it with `parse.RoleAssignmentID` (internal/services/authorization/parse/
  role_assignment.go, which accepts ARM's `resourcegroups` spelling too) and reads it back
  through `ParseScopedRoleAssignmentID`, whose scope is everything before
  `/providers/Microsoft.Authorization/roleAssignments/`.
- `azurerm_federated_identity_credential`: `/subscriptions/{s}/resourceGroups/{rg}/providers/
  Microsoft.ManagedIdentity/userAssignedIdentities/{uai}/federatedIdentityCredentials/{name}`.
  `ParseFederatedIdentityCredentialID` (go-azure-sdk, `parser.Parse(input, false)`) is case
  sensitive, while ARM lists credential ids with `resourcegroups`; and Read sets
  `user_assigned_identity_id` from the id, a ForceNew argument compared with case. So the id
  is spelt from the configuration's `user_assigned_identity_id` (validated to that exact
  shape) and the credential's name, once the read listing shows the credential exists.

What the first apply changes follows the schemas (role_assignment_resource.go,
federated_identity_credential_resource.go with `user_assigned_identity_id`, azurerm >= 4.65):
- a role assignment cannot be updated in place: `scope`, `role_definition_name`,
  `principal_id`, `principal_type` and `delegated_managed_identity_resource_id` are ForceNew.
  `scope` has no case-insensitive diff suppression and Read stores the scope as ARM returns
  it, so an assignment made with another spelling of the cluster id (`resourcegroups`) is
  replaced (hashicorp/terraform-provider-azurerm#16213). `description` and `condition`, which
  the generated resource does not set, are removed in place.
- a credential's `name` and `user_assigned_identity_id` are ForceNew; `issuer`, `subject` and
  `audience` update in place.
An existing assignment of another role to the same principal at the same scope is not the
generated resource: it is left alone (the check reports it when it grants more than the intent).
"""

from __future__ import annotations

import re
from typing import Any

from intent.observe.adoption import AdoptionBuilder, ClusterAdoption, changed
from intent.observe.sources import CollectError
from intent.plan import ClusterPlan
from intent.provider_roles import AKS_CONTROL_PLANE_ROLES, AKS_RBAC_ROLES
from intent.quoting import quote
from translators import kubernetes_state as k8s
from translators.kubernetes_adopt import adopt_kubernetes
from translators.kubernetes_admission_adopt import adopt_admission

from .observe import CLUSTER, FEDERATED, ROLE_ASSIGNMENTS, TOKEN_AUDIENCE, assignment_records, cluster_settings, field, flatten
from .render import cluster_admin_subjects, federated_credentials, rbac_subject, role_assignments, service_accounts

# Role definition GUIDs by role name, lower-cased (the names render assigns by).
ROLE_GUIDS = {
    name.lower(): guid
    for guid, name in [*((g, n) for g, (n, _) in AKS_RBAC_ROLES.items()), *AKS_CONTROL_PLANE_ROLES.items()]
}
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
ASSIGNMENT_ID = re.compile(rf"(?P<scope>/.+?)/providers/Microsoft\.Authorization/roleAssignments/{_GUID}")
# Azure's rule for federated identity credential names: 3-120 of letters, digits, '-' and '_'.
CREDENTIAL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,119}", re.ASCII)
CREDENTIAL_SEGMENT = re.compile(r"/federatedIdentityCredentials/", re.IGNORECASE)


def adopt_cluster(plan: ClusterPlan, documents: dict[str, Any]) -> ClusterAdoption:
    """The AKS cluster's generated resources that exist (to import) and those apply creates."""
    builder = AdoptionBuilder(plan.name, "aks")
    adopt_role_assignments(builder, plan, documents)
    adopt_federated_credentials(builder, plan, documents)
    # Bindings are generated (rbac.tf) on kubernetes-rbac clusters only.
    subject_of = rbac_subject if plan.cluster.authorization == "kubernetes-rbac" else None
    adopt_kubernetes(builder, plan, documents, subject_of, service_accounts(plan))
    adopt_admission(builder, plan, documents, cluster_admin_subjects(plan))
    return builder.build()


def adopt_role_assignments(builder: AdoptionBuilder, plan: ClusterPlan, documents: dict[str, Any]) -> None:
    """Each generated role assignment whose (scope, role, principal) already has one."""
    existing = _assignments(documents)
    for item in role_assignments(plan):
        address = f"azurerm_role_assignment.{item['address']}"
        want_guid = ROLE_GUIDS.get(item["role"].lower())
        candidates = [
            a for a in existing.get((_scope_key(item["scope"]), item["principal_id"].lower()), [])
            if a["guid"] == want_guid or a["role_name"] == item["role"].lower()
        ]
        if not candidates:
            builder.missing(address)
            continue
        # One without a condition first: that is the one the generated resource is.
        found = min(candidates, key=lambda a: (bool(a["condition"]), a["index"]))
        import_id = _assignment_id(found)
        changes, replaced = [], False
        if found["scope"] != item["scope"]:
            changes.append(f"scope: {found['scope']} -> {item['scope']} (replaced: scope is ForceNew and compared with case)")
            replaced = True
        if found["principal_type"] and found["principal_type"] != item["principal_type"]:
            changes.append(f"principal_type: {quote(found['principal_type'])} -> {item['principal_type']} (replaced)")
            replaced = True
        if found["delegated"]:
            changes.append(f"delegated_managed_identity_resource_id: {quote(found['delegated'])} -> (none) (replaced)")
            replaced = True
        for what in ("description", "condition"):
            if found[what]:
                changes.append(f"{what}: {quote(found[what])} -> (none)")
        builder.exists(address, import_id, f"RoleAssignment/{found['scope']}/{item['role']}/{item['principal_id']}",
                       changes, replaced)


def adopt_federated_credentials(builder: AdoptionBuilder, plan: ClusterPlan, documents: dict[str, Any]) -> None:
    """Each generated federated identity credential that exists on its managed identity."""
    cluster = flatten(k8s.as_dict(k8s.document(documents, CLUSTER), CLUSTER, "the document"))
    issuer = cluster_settings(cluster)[2]
    issuer = str(issuer) if issuer else None
    existing = _credentials(documents)
    differing = False
    for item in federated_credentials(plan):
        address = f"azurerm_federated_identity_credential.{item['address']}"
        on_identity = existing.get(item["identity_id"].lower(), [])
        found = next((c for c in on_identity if c["name"].lower() == item["name"].lower()), None)
        changes: list[str] = []
        replaced = False
        if found is None and issuer is not None:
            # Azure keeps one credential per (issuer, subject) on an identity: a credential under
            # another name that already trusts this service account makes creating ours fail.
            # It is the same trust under another name: imported, and replaced (name is ForceNew).
            found = next((c for c in on_identity if c["issuer"] == issuer and c["subject"] == item["subject"]), None)
            if found is not None:
                if not CREDENTIAL_NAME.fullmatch(found["name"]):
                    raise CollectError(f"{FEDERATED}: [{found['index']}] names the credential {quote(found['name'])}, "
                                       "which is not a federated identity credential name")
                changes.append(f"name: {found['name']} -> {item['name']} (replaced: an identity holds one credential per "
                               "issuer and subject)")
                replaced = True
        if found is None:
            builder.missing(address)
            continue
        if not replaced:
            changes += [c for c in (
                changed("issuer", quote(found["issuer"]), quote(issuer)) if issuer is not None else None,
                changed("subject", quote(found["subject"]), quote(item["subject"])),
                changed("audience", quote(found["audiences"]), quote([TOKEN_AUDIENCE])),
            ) if c]
            differing = differing or bool(changes)
        import_id = f"{item['identity_id']}/federatedIdentityCredentials/{found['name'] if replaced else item['name']}"
        builder.exists(address, import_id, f"FederatedCredential/{import_id}", changes, replaced)
    if differing:
        builder.note(
            "azurerm_federated_identity_credential updates issuer, subject and audience in place from the releases "
            "that fixed its Update (hashicorp/terraform-provider-azurerm#32522); earlier releases fail the update "
            "with 'already exists' (#32521): use a fixed release, or delete the credential and let apply create it"
        )


def _scope_key(scope: str) -> str:
    return scope.rstrip("/").lower()


def _assignment_id(found: dict) -> str:
    """The ARM id of a matched assignment, which must be an assignment id under its own scope:
    anything else in the document is refused rather than written into imports.tf."""
    i = found["index"]
    assignment_id = k8s.text(found["id"], ROLE_ASSIGNMENTS, f"[{i}].id")
    match = ASSIGNMENT_ID.fullmatch(assignment_id)
    if not match or _scope_key(match["scope"]) != _scope_key(found["scope"]):
        raise CollectError(f"{ROLE_ASSIGNMENTS}: [{i}].id {quote(assignment_id)} is not the id of a role assignment at "
                           f"its scope ({{scope}}/providers/Microsoft.Authorization/roleAssignments/<guid>)")
    return assignment_id


def _assignments(documents: dict[str, Any]) -> dict[tuple[str, str], list[dict]]:
    """The role assignments of the document by (scope, principal object id), both lower-cased."""
    out: dict[tuple[str, str], list[dict]] = {}
    for i, item, guid, principal_id, scope in assignment_records(documents):
        record = {
            "index": i,
            "id": field(item, "id"),
            "scope": scope,
            "guid": guid,
            "role_name": str(field(item, "roleDefinitionName") or "").lower(),
            "principal_type": str(field(item, "principalType") or ""),
            "description": str(field(item, "description") or ""),
            "condition": str(field(item, "condition") or ""),
            "delegated": str(field(item, "delegatedManagedIdentityResourceId") or ""),
        }
        out.setdefault((_scope_key(scope), principal_id.lower()), []).append(record)
    return out


def _credentials(documents: dict[str, Any]) -> dict[str, list[dict]]:
    """The federated identity credentials of the document by managed identity id (lower-cased)."""
    out: dict[str, list[dict]] = {}
    for i, item in enumerate(k8s.as_list(k8s.document(documents, FEDERATED), FEDERATED, "the document")):
        item = flatten(k8s.as_dict(item, FEDERATED, f"[{i}]"))
        fic_id = k8s.text(field(item, "id"), FEDERATED, f"[{i}].id")
        parts = CREDENTIAL_SEGMENT.split(fic_id)
        if len(parts) != 2 or not parts[1]:
            raise k8s.fail(FEDERATED, f"[{i}].id {quote(fic_id)} is not a federated identity credential id")
        audiences = [str(a) for a in k8s.as_list(field(item, "audiences") or [], FEDERATED, f"[{i}].audiences")]
        out.setdefault(parts[0].rstrip("/").lower(), []).append({
            "index": i,
            "name": parts[1],
            "issuer": str(field(item, "issuer") or ""),
            "subject": str(field(item, "subject") or ""),
            "audiences": audiences,
        })
    return out
