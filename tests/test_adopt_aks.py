"""AKS adoption (SPEC §12): role assignments, federated identity credentials and the Kubernetes
objects of a cluster's root that already exist are imported with the hashicorp/azurerm ids.

Ids (terraform-provider-azurerm website/docs/r/role_assignment.html.markdown and
federated_identity_credential.html.markdown, "Import"): a role assignment's full ARM id
`{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`, read from the assignment
(parse/role_assignment.go accepts ARM's `resourcegroups`); a credential's
`/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{uai}/federatedIdentityCredentials/{name}`,
spelt with `resourceGroups` because `ParseFederatedIdentityCredentialID` is case sensitive.
ForceNew (role_assignment_resource.go): scope, role, principal id and type; in place:
description, condition; credentials (federated_identity_credential_resource.go, azurerm >= 4.65):
name and identity ForceNew, issuer, subject and audience in place.
"""

from __future__ import annotations

import json

from conftest import EXAMPLE
from generate_support import example_data, intent_bytes
from test_adopt_gke import (
    COMPLIANT,
    adopt,
    assert_every_target_exists,
    copy_snapshot,
    documents_of,
    edit_json,
    generate_root,
    imports_of,
    parsed_imports,
    plan_of,
    run_adopt,
    target,
    unreadable,
)

PROD_ID = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
IDENTITIES = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
ROLE_DEFINITIONS = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/providers/Microsoft.Authorization/roleDefinitions"
CLUSTER_USER_GUID = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
RBAC_WRITER_GUID = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
RBAC_READER_GUID = "7f6c6a51-bcf8-42ba-9220-52d62157d7db"
ADMINS = "6f1c2d3e-0000-4000-8000-000000000001"
PAYMENTS_DEVS = "6f1c2d3e-0000-4000-8000-000000000002"
GUID = "11111111-2222-4333-8444-555555555555"
ASSIGNMENTS = "azure/role-assignments.json"
CREDENTIALS = "azure/federated-credentials.json"
PAYMENTS_FIC = "fleet-intent-prod-weu_payments_payments-api"


def assignment(scope: str, role_guid: str, principal: str, guid: str = GUID, principal_type: str = "Group", **extra) -> dict:
    """A role assignment as `az role assignment list` prints it."""
    return {"id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}", "name": guid,
            "principalId": principal, "principalType": principal_type, "roleDefinitionId": f"{ROLE_DEFINITIONS}/{role_guid}",
            "scope": scope, "type": "Microsoft.Authorization/roleAssignments", **extra}


def exact_documents(plan) -> dict:
    """prod-weu's compliant documents with the cluster id spelt as the root spells it and the
    credentials named as the root names them: the case where nothing differs."""
    documents = documents_of(plan)
    documents[ASSIGNMENTS] = [
        {**a, "id": a["id"].replace("/resourcegroups/", "/resourceGroups/"), "scope": a["scope"].replace("/resourcegroups/", "/resourceGroups/")}
        for a in documents[ASSIGNMENTS]
    ]
    for fic in documents[CREDENTIALS]:
        if fic["name"].startswith("prod-weu-"):
            name = "fleet-intent-prod-weu_" + fic["subject"].split(":", 2)[2].replace(":", "_")
            fic["id"] = fic["id"].rsplit("/", 1)[0] + "/" + name
            fic["name"] = name
    return documents


def test_existing_objects_import_with_the_documented_ids(loaded_example):
    """Role assignments import by the ARM id read from them, credentials by their resource id
    (role_assignment.html.markdown, federated_identity_credential.html.markdown)."""
    plan = plan_of(loaded_example, "prod-weu")
    adoption = adopt(plan, exact_documents(plan))
    ids = imports_of(adoption)
    assert ids[f"azurerm_role_assignment.group_{ADMINS}_cluster-user"] == (
        f"{PROD_ID}/providers/Microsoft.Authorization/roleAssignments/b73b41f2-c1b2-5a0c-a2e8-c1fda174f3d6")
    assert ids[f"azurerm_role_assignment.group_{PAYMENTS_DEVS}_payments_edit"] == (
        f"{PROD_ID}/namespaces/payments/providers/Microsoft.Authorization/roleAssignments/90e4d0a5-bf1c-51a4-8b38-e5cda270e5dd")
    assert ids["azurerm_federated_identity_credential.payments_payments-api"] == (
        f"{IDENTITIES}/payments-api/federatedIdentityCredentials/{PAYMENTS_FIC}")
    assert ids["kubernetes_service_account_v1.payments_payments-api"] == "payments/payments-api"
    azure = [t for t in adoption.imports if t.address.startswith("azurerm_")]
    assert len(azure) == 15 and not any(t.changes for t in azure)
    assert not adoption.creates and not adoption.notes
    # azure-rbac: no Kubernetes bindings are generated, so none are adopted.
    assert not any("role_binding" in a for a in ids)


def test_an_assignment_made_with_arms_resourcegroups_spelling_is_imported_and_replaced(loaded_example):
    """scope is ForceNew without case-insensitive diff suppression and Read keeps ARM's spelling
    (role_assignment_resource.go; hashicorp/terraform-provider-azurerm#16213)."""
    plan = plan_of(loaded_example, "prod-weu")
    adoption = adopt(plan, documents_of(plan))  # the compliant snapshot spells `resourcegroups`
    found = target(adoption, f"azurerm_role_assignment.group_{ADMINS}_cluster-admin")
    assert found.id.endswith("/resourcegroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
                             "/providers/Microsoft.Authorization/roleAssignments/596ac5e4-6e88-5103-b439-70a88f28a7f5")
    assert found.replaced and found.changes[0].startswith("scope: ") and "resourceGroups" in found.changes[0]


def test_missing_objects_are_created_and_another_role_is_not_ours(loaded_example):
    plan = plan_of(loaded_example, "prod-weu")
    documents = exact_documents(plan)
    # The payments devs hold Reader instead of Writer in payments: not the generated assignment.
    for a in documents[ASSIGNMENTS]:
        if a["principalId"] == PAYMENTS_DEVS and a["scope"] == f"{PROD_ID}/namespaces/payments":
            a["roleDefinitionId"] = f"{ROLE_DEFINITIONS}/{RBAC_READER_GUID}"
            a["roleDefinitionName"] = "Azure Kubernetes Service RBAC Reader"
    documents[CREDENTIALS] = [f for f in documents[CREDENTIALS] if f["name"] != PAYMENTS_FIC]
    adoption = adopt(plan, documents)
    assert f"azurerm_role_assignment.group_{PAYMENTS_DEVS}_payments_edit" in adoption.creates
    assert "azurerm_federated_identity_credential.payments_payments-api" in adoption.creates
    assert not any(PAYMENTS_DEVS in t.id and "/namespaces/payments/" in t.id for t in adoption.imports)


def test_an_assignment_matched_by_role_name_imports(loaded_example):
    """The role is matched by its definition GUID, or by its name where a listing has one."""
    plan = plan_of(loaded_example, "prod-weu")
    documents = exact_documents(plan)
    documents[ASSIGNMENTS] = [a for a in documents[ASSIGNMENTS] if a["principalId"] != PAYMENTS_DEVS]
    documents[ASSIGNMENTS].append(assignment(f"{PROD_ID}/namespaces/payments", "custom-copy", PAYMENTS_DEVS,
                                             roleDefinitionName="azure kubernetes service rbac writer"))
    adoption = adopt(plan, documents)
    assert imports_of(adoption)[f"azurerm_role_assignment.group_{PAYMENTS_DEVS}_payments_edit"].endswith(GUID)


def test_differing_assignments_and_credentials_list_what_apply_changes(loaded_example):
    plan = plan_of(loaded_example, "prod-weu")
    documents = exact_documents(plan)
    for a in documents[ASSIGNMENTS]:
        if a["principalId"] == ADMINS and a["roleDefinitionId"].endswith(CLUSTER_USER_GUID):
            a["description"] = "made by hand"
            a["condition"] = "@Resource[x] == 'y'"
        if a["principalId"] == PAYMENTS_DEVS and a["roleDefinitionId"].endswith(CLUSTER_USER_GUID):
            a["principalType"] = "User"
    for fic in documents[CREDENTIALS]:
        if fic["name"] == PAYMENTS_FIC:
            fic["subject"] = "system:serviceaccount:payments:old-api"
            fic["audiences"] = ["api://other"]
    adoption = adopt(plan, documents)
    in_place = target(adoption, f"azurerm_role_assignment.group_{ADMINS}_cluster-user")
    assert not in_place.replaced
    assert in_place.changes == ("description: 'made by hand' -> (none)", "condition: \"@Resource[x] == 'y'\" -> (none)")
    retyped = target(adoption, f"azurerm_role_assignment.group_{PAYMENTS_DEVS}_cluster-user")
    assert retyped.replaced and retyped.changes == ("principal_type: 'User' -> Group (replaced)",)
    fic = target(adoption, "azurerm_federated_identity_credential.payments_payments-api")
    assert not fic.replaced and fic.id.endswith(f"/federatedIdentityCredentials/{PAYMENTS_FIC}")
    assert fic.changes == ("subject: 'system:serviceaccount:payments:old-api' -> 'system:serviceaccount:payments:payments-api'",
                           "audience: ['api://other'] -> ['api://AzureADTokenExchange']")
    assert any("#32522" in n for n in adoption.notes)


def test_a_credential_under_another_name_that_trusts_the_service_account_is_replaced(loaded_example):
    """Azure keeps one credential per issuer and subject on an identity, so creating the
    generated one beside it would fail: it is imported under its own name and replaced."""
    plan = plan_of(loaded_example, "prod-weu")
    adoption = adopt(plan, documents_of(plan))  # the compliant snapshot names them prod-weu-…
    fic = target(adoption, "azurerm_federated_identity_credential.payments_payments-api")
    assert fic.id == f"{IDENTITIES}/payments-api/federatedIdentityCredentials/prod-weu-payments-payments-api"
    assert fic.replaced and fic.changes[0].startswith(f"name: prod-weu-payments-payments-api -> {PAYMENTS_FIC}")
    # A credential of the same identity for another cluster's issuer is not this one.
    worker = target(adoption, "azurerm_federated_identity_credential.data-ingest_ingest-worker")
    assert worker.id.endswith("/prod-weu-data-ingest-ingest-worker")


def test_kubernetes_rbac_clusters_adopt_their_bindings(loaded_example):
    plan = plan_of(loaded_example, "dev-weu")
    documents = documents_of(plan)
    documents["kubernetes/clusterrolebindings.json"]["items"].append({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "fleet-intent:cluster-admin", "labels": {"app.kubernetes.io/managed-by": "fleet-intent"}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": ADMINS}],
    })
    adoption = adopt(plan, documents)
    admin = target(adoption, "kubernetes_cluster_role_binding_v1.cluster-admin")
    assert admin.id == "fleet-intent:cluster-admin" and not admin.changes
    assert any(a.startswith("kubernetes_role_binding_v1.") for a in adoption.creates)


# -- the CLI -----------------------------------------------------------------------------------


def test_adopt_writes_imports_for_prod_weu_and_dev_weu_whose_targets_are_in_the_roots(capsys, tmp_path):
    out = generate_root(capsys, tmp_path)
    code, stdout, err = run_adopt(capsys, EXAMPLE, COMPLIANT, out, "prod-weu", "dev-weu")
    assert code == 0, err
    for cluster in ("prod-weu", "dev-weu"):
        targets = parsed_imports(out / "clusters" / cluster / "imports.tf")
        assert any(to.startswith("azurerm_role_assignment.") for to in targets)
        assert any(to.startswith("azurerm_federated_identity_credential.") for to in targets)
        assert_every_target_exists(out / "clusters" / cluster, out / "modules", targets)
    dev = parsed_imports(out / "clusters" / "dev-weu" / "imports.tf")
    assert dev[f"azurerm_role_assignment.group_{ADMINS}_cluster-user"].endswith("/roleAssignments/3b45836c-f6dc-552c-b379-c80bb17e363d")


def test_hostile_names_round_trip_through_imports_tf(capsys, tmp_path):
    """A resource group of Unicode letters and parentheses, and a service account long enough
    that the credential name is cut and hashed: the ids read back from imports.tf by
    python-hcl2 are exactly the ARM ids."""
    data = example_data()
    group = "rg-(prod)-Ünïcode"
    identity = f"/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments-api"
    long_sa = "payments." + "a" * 100 + ".api"
    next(c for c in data["clusters"] if c["name"] == "prod-weu")["resourceGroup"] = group
    payments = next(t for t in data["teams"] if t["name"] == "payments")
    payments["workloadIdentities"][0]["serviceAccount"] = long_sa
    payments["workloadIdentities"][0]["azure"]["identityId"] = identity
    intent = tmp_path / "intent.yaml"
    intent.write_bytes(intent_bytes(data))
    out = generate_root(capsys, tmp_path, intent)
    from translators.aks.render import credential_name

    fic_name = credential_name("prod-weu", "payments", long_sa)
    assert len(fic_name) == 120
    cluster_id = PROD_ID.replace("/rg-prod/", f"/{group}/")
    snapshot = copy_snapshot(tmp_path, "prod-weu")
    azure = snapshot / "prod-weu" / "azure"
    edit_json(azure / "cluster.json", lambda d: d.update(id=cluster_id))
    ns_scope = f"{cluster_id}/namespaces/payments"
    (azure / "role-assignments.json").write_text(json.dumps([
        assignment(cluster_id, CLUSTER_USER_GUID, ADMINS),
        assignment(ns_scope, RBAC_WRITER_GUID, PAYMENTS_DEVS, guid="22222222-2222-4333-8444-555555555555"),
    ]))
    issuer = json.loads((azure / "cluster.json").read_text())["oidcIssuerProfile"]["issuerUrl"]
    (azure / "federated-credentials.json").write_text(json.dumps([{
        "id": f"{identity.replace('/resourceGroups/', '/resourcegroups/')}/federatedIdentityCredentials/{fic_name}",
        "name": fic_name, "issuer": issuer, "subject": f"system:serviceaccount:payments:{long_sa}",
        "audiences": ["api://AzureADTokenExchange"],
    }]))
    code, _, err = run_adopt(capsys, intent, snapshot, out, "prod-weu")
    assert code in (0, 1), err
    targets = parsed_imports(out / "clusters" / "prod-weu" / "imports.tf")
    assert targets[f"azurerm_role_assignment.group_{ADMINS}_cluster-user"] == (
        f"{cluster_id}/providers/Microsoft.Authorization/roleAssignments/{GUID}")
    assert targets[f"azurerm_role_assignment.group_{PAYMENTS_DEVS}_payments_edit"] == (
        f"{ns_scope}/providers/Microsoft.Authorization/roleAssignments/22222222-2222-4333-8444-555555555555")
    [(fic_to, fic_id)] = [(to, i) for to, i in targets.items() if to.startswith("azurerm_federated_identity_credential.")]
    assert fic_id == f"{identity}/federatedIdentityCredentials/{fic_name}"
    assert_every_target_exists(out / "clusters" / "prod-weu", out / "modules", targets)


def _adopted_once(capsys, tmp_path):
    out = generate_root(capsys, tmp_path)
    snapshot = copy_snapshot(tmp_path, "prod-weu")
    code, _, err = run_adopt(capsys, EXAMPLE, snapshot, out, "prod-weu")
    assert code == 0, err
    return out, snapshot, out / "clusters" / "prod-weu" / "imports.tf"


def test_a_snapshot_missing_a_document_leaves_imports_tf_as_it_was(capsys, tmp_path):
    out, snapshot, imports = _adopted_once(capsys, tmp_path)
    before = imports.read_text()
    (snapshot / "prod-weu" / CREDENTIALS).unlink()
    code, stdout, err = run_adopt(capsys, EXAMPLE, snapshot, out, "prod-weu", fmt="json")
    assert code == 1, err
    assert "azure/federated-credentials.json: missing from the snapshot" in unreadable(stdout, "prod-weu")
    assert imports.read_text() == before


def test_a_role_assignment_id_outside_its_scope_is_refused_not_written(capsys, tmp_path):
    """The id written into imports.tf comes from the snapshot: one that is not an assignment id
    under the assignment's own scope makes the cluster unreadable (FI-COLLECT-001)."""
    out, snapshot, imports = _adopted_once(capsys, tmp_path)
    before = imports.read_text()

    def forge(items):
        for a in items:
            if a["principalId"] == ADMINS and a["roleDefinitionId"].endswith(CLUSTER_USER_GUID):
                a["id"] = a["id"] + '"\n}\nimport {\n  to = x.y\n  id = "${file("/etc/passwd")}'

    edit_json(snapshot / "prod-weu" / ASSIGNMENTS, forge)
    code, stdout, err = run_adopt(capsys, EXAMPLE, snapshot, out, "prod-weu", fmt="json")
    assert code == 1, err
    message = unreadable(stdout, "prod-weu")
    assert f"{ASSIGNMENTS}: [" in message and "is not the id of a role assignment at its scope" in message
    assert "Traceback" not in err
    assert imports.read_text() == before
