"""AKS users (SPEC §11): an Entra member user is known by object id on azure-rbac clusters and
by UPN on kubernetes-rbac clusters.

On a kubernetes-rbac cluster AKS authenticates a user (Guard) by the token's `upn` claim and
falls back to `oid` only when there is none (kubeguard/guard auth/providers/azure/azure.go,
Azure/AKS#2302), so a RoleBinding to the object id grants a member user nothing; an Azure role
assignment (azure-rbac data-plane roles, Cluster User Role) names the object id.
"""

from __future__ import annotations

import json
import shutil

import jsonschema
import pytest

from conftest import FIXTURES, invoke_cli
from generate_support import example_data, intent_bytes, parse, parse_tf, render, strings

DANA = {"upn": "Dana@acme.example", "objectId": "6f1c2d3e-0000-4000-8000-000000000011"}
DEV_ID = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000b/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/dev-weu"
PROD_ID = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
CLUSTER_USER_ROLE = "Azure Kubernetes Service Cluster User Role"


def _team(data: dict, name: str) -> dict:
    return next(t for t in data["teams"] if t["name"] == name)


def with_dana() -> dict:
    """The example with a paired user in team data's edit grant: data is hosted on prod-weu
    (azure-rbac) and dev-weu (kubernetes-rbac)."""
    data = example_data()
    _team(data, "data")["access"][0]["azure"].append(dict(DANA))
    return data


def _role_assignments(files: dict[str, str], cluster: str) -> set[tuple]:
    parsed = strings(parse_tf(files[f"clusters/{cluster}/access.tf"]))
    out = set()
    for block in parsed.get("resource", []):
        for name, body in block.get("azurerm_role_assignment", {}).items():
            out.add((name, body["scope"], body["role_definition_name"], body["principal_id"], body["principal_type"]))
    return out


def _binding_subjects(files: dict[str, str], cluster: str) -> dict[str, set[tuple[str, str]]]:
    parsed = strings(parse_tf(files[f"clusters/{cluster}/rbac.tf"]))
    out: dict[str, set] = {}
    for block in parsed.get("resource", []):
        for kind in ("kubernetes_role_binding_v1", "kubernetes_cluster_role_binding_v1"):
            for name, body in block.get(kind, {}).items():
                out[name] = {(s["kind"], s["name"]) for s in body["subject"]}
    return out


def test_a_paired_user_is_bound_by_upn_on_kubernetes_rbac_and_assigned_by_object_id():
    files = render(parse(with_dana()))
    subjects = _binding_subjects(files, "dev-weu")
    assert ("User", "Dana@acme.example") in subjects["data-ingest_edit"]
    assert not any(DANA["objectId"] in name for found in subjects.values() for _, name in found)
    assert ("user_6f1c2d3e-0000-4000-8000-000000000011_cluster-user", DEV_ID, CLUSTER_USER_ROLE, DANA["objectId"], "User") in _role_assignments(files, "dev-weu")


def test_a_paired_user_is_assigned_by_object_id_on_azure_rbac():
    files = render(parse(with_dana()))
    assigned = _role_assignments(files, "prod-weu")
    assert {(scope, role, oid) for _, scope, role, oid, _ in assigned if oid == DANA["objectId"]} == {
        (PROD_ID, CLUSTER_USER_ROLE, DANA["objectId"]),
        (f"{PROD_ID}/namespaces/data-ingest", "Azure Kubernetes Service RBAC Writer", DANA["objectId"]),
        (f"{PROD_ID}/namespaces/data-warehouse", "Azure Kubernetes Service RBAC Writer", DANA["objectId"]),
    }
    assert "Dana@acme.example" not in files["clusters/prod-weu/access.tf"]


def test_a_bare_upn_user_binds_on_kubernetes_rbac_with_a_warning_and_no_role_assignment():
    data = example_data()
    _team(data, "checkout")["access"][1]["azure"].append("user:carol@acme.example")  # checkout: dev-weu only
    loaded = parse(data)
    [warning] = loaded.warnings
    assert "carol@acme.example" in warning.message and "Cluster User Role" in warning.message and "'dev-weu'" in warning.message
    files = render(loaded)
    assert ("User", "carol@acme.example") in _binding_subjects(files, "dev-weu")["checkout_edit"]
    assert "carol" not in files["clusters/dev-weu/access.tf"]


def _validate(capsys, tmp_path, data: dict) -> tuple[int, str]:
    path = tmp_path / "intent.yaml"
    path.write_bytes(intent_bytes(data))
    code, _, err = invoke_cli(capsys, "validate", str(path), "--now", "2026-11-26")
    return code, err


def test_an_object_id_user_on_a_kubernetes_rbac_cluster_is_an_error_naming_cluster_user_and_fix(capsys, tmp_path):
    data = example_data()
    _team(data, "data")["access"][0]["azure"].append("user:6f1c2d3e-0000-4000-8000-000000000011")
    code, err = _validate(capsys, tmp_path, data)
    assert code == 2
    [line] = [text for text in err.splitlines() if "problem(s) found" not in text]
    assert line.startswith(f"{tmp_path / 'intent.yaml'}:")
    assert "teams[2].access[0].azure[1]" in line and "'dev-weu'" in line and "'prod-weu'" not in line
    assert "user:6f1c2d3e-0000-4000-8000-000000000011" in line and "{upn: <the user's UPN>, objectId: 6f1c2d3e-0000-4000-8000-000000000011}" in line


def test_a_upn_user_on_an_azure_rbac_cluster_is_an_error_naming_cluster_user_and_fix(capsys, tmp_path):
    data = example_data()
    _team(data, "data")["access"][0]["azure"].append("user:dana@acme.example")
    code, err = _validate(capsys, tmp_path, data)
    assert code == 2
    [line] = [text for text in err.splitlines() if "problem(s) found" not in text]
    assert "teams[2].access[0].azure[1]" in line and "'prod-weu'" in line and "'dev-weu'" not in line
    assert "{upn: dana@acme.example, objectId: <the user's object id>}" in line


def test_one_upn_paired_with_two_object_ids_is_an_error(capsys, tmp_path):
    data = with_dana()
    data["clusterAccess"][1]["azure"].append({"upn": DANA["upn"], "objectId": "6f1c2d3e-0000-4000-8000-000000000012"})
    code, err = _validate(capsys, tmp_path, data)
    assert code == 2
    assert "one Entra user has one UPN and one object id" in err


def test_the_schema_accepts_the_paired_form_and_rejects_a_half_pair(capsys):
    code, out, _ = invoke_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    data = with_dana()
    data["exceptions"][0]["expires"] = str(data["exceptions"][0]["expires"])  # YAML reads a date
    jsonschema.validate(data, schema)
    _team(data, "data")["access"][0]["azure"][-1] = {"upn": DANA["upn"]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


# --- check side --------------------------------------------------------------------------


def _snapshot_copy(tmp_path):
    target = tmp_path / "snapshot"
    shutil.copytree(FIXTURES / "snapshots" / "compliant", target)
    return target


def _edit(path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _binding(kind: str, name: str, role: str, user: str, namespace: str | None = None) -> dict:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    }


def _check(capsys, tmp_path, snapshot, data: dict, *extra: str) -> tuple[int, dict]:
    intent = tmp_path / "intent.yaml"
    intent.write_bytes(intent_bytes(data))
    code, out, _ = invoke_cli(capsys, "check", str(intent), "--snapshot", str(snapshot), "--format", "json", "--now", "2026-11-26", *extra)
    return code, json.loads(out)


def test_an_undeclared_upn_user_made_cluster_admin_is_fi_auth_001(capsys, tmp_path):
    snapshot = _snapshot_copy(tmp_path)
    _edit(snapshot / "dev-weu/kubernetes/clusterrolebindings.json",
          lambda d: d["items"].append(_binding("ClusterRoleBinding", "alice-admin", "cluster-admin", "alice@acme.example")))
    code, report = _check(capsys, tmp_path, snapshot, example_data())
    found = {(f["rule"], f["severity"], f["cluster"], f["object"]) for f in report["findings"]}
    assert ("FI-AUTH-001", "critical", "dev-weu", "ClusterRoleBinding/alice-admin") in found, report["findings"]
    assert code == 1


def test_a_declared_upn_users_binding_and_role_assignment_give_no_finding(capsys, tmp_path):
    snapshot = _snapshot_copy(tmp_path)
    _edit(snapshot / "dev-weu/kubernetes/rolebindings.json", lambda d: d["items"].extend(
        _binding("RoleBinding", "fleet-intent:data:edit-dana", "edit", DANA["upn"], ns) for ns in ("data-ingest", "data-warehouse")
    ))
    assignment = {
        "id": f"{DEV_ID}/providers/Microsoft.Authorization/roleAssignments/0d0a0000-0000-4000-8000-000000000011",
        "principalId": DANA["objectId"],
        "principalType": "User",
        "roleDefinitionId": "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000b/providers/Microsoft.Authorization/roleDefinitions/4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
        "scope": DEV_ID,
    }
    _edit(snapshot / "dev-weu/azure/role-assignments.json", lambda d: d.append(assignment))
    code, report = _check(capsys, tmp_path, snapshot, with_dana(), "--cluster", "dev-weu")
    assert report["findings"] == []
    assert code == 0
