"""Role assignments below the cluster (SPEC §11): the snapshot layout's command and the live
read must both return the namespace-scoped assignments (`<cluster id>/namespaces/<ns>`).

`az role assignment list --scope <cluster id> --include-inherited` lists with
`$filter=atScope()` and keeps the cluster scope and its ancestors (Azure/azure-cli
src/azure-cli/azure/cli/command_modules/role/custom.py `_search_role_assignments`), so it never
prints them. The ARM docs say what each listing returns:

- "Role Assignments - List For Scope"
  (https://learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope):
  `GET {scope}/providers/Microsoft.Authorization/roleAssignments`, where "$filter=atScope()"
  returns "all role assignments at or above the scope";
- "List Azure role assignments using the REST API"
  (https://learn.microsoft.com/azure/role-based-access-control/role-assignments-list-rest):
  `$filter=atScope()` "Lists role assignments for only the specified scope, not including the
  role assignments at subscopes" -- the call *without* that filter is the one that includes
  the subscopes (the same page for deny assignments states it outright: "(no filter) Lists all
  deny assignments at, above, and below the specified scope").

So the layout names the unfiltered List For Scope through `az rest`, which prints ARM's list
response `{"value": [...], "nextLink": ...}`, and the live reader makes that same call
(`role_assignments.list_for_scope(<cluster id>)` with no filter).
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import EXAMPLE, FIXTURES, ROOT, invoke_cli
from fakes.fleet import fake_fleet  # noqa: F401  (fixture)

PROD_WEU = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
LAYOUT_COMMAND = (
    "az rest --method get --url "
    "'https://management.azure.com<cluster id>/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01'"
)


def _arm_listing(az_items: list[dict], next_link: str | None = None) -> dict:
    """The az-spelled assignments as ARM's List For Scope response body prints them."""
    value = []
    for item in az_items:
        properties = {k: item[k] for k in ("roleDefinitionId", "principalId", "principalType", "scope", "condition",
                                           "conditionVersion", "createdOn", "updatedOn", "createdBy", "updatedBy",
                                           "delegatedManagedIdentityResourceId", "description") if k in item}
        value.append({"properties": properties, "id": item["id"], "type": item["type"], "name": item["name"]})
    body: dict = {"value": value}
    if next_link is not None:
        body["nextLink"] = next_link
    return body


def _snapshot(tmp_path, change) -> str:
    target = tmp_path / "snapshot"
    shutil.copytree(FIXTURES / "snapshots" / "compliant", target)
    path = target / "prod-weu" / "azure" / "role-assignments.json"
    path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8"))), indent=2), encoding="utf-8")
    return str(target)


def _check(capsys, snapshot: str) -> tuple[int, dict]:
    code, out, _ = invoke_cli(capsys, "check", str(EXAMPLE), "--snapshot", snapshot, "--cluster", "prod-weu",
                              "--format", "json", "--now", "2026-11-26")
    return code, json.loads(out)


def test_the_compliant_prod_weu_holds_namespace_scoped_assignments():
    items = json.loads((FIXTURES / "snapshots/compliant/prod-weu/azure/role-assignments.json").read_text(encoding="utf-8"))
    assert any("/namespaces/" in item["scope"] for item in items)


def test_a_snapshot_in_the_documented_commands_arm_shape_gives_no_false_missing_grants(capsys, tmp_path):
    code, report = _check(capsys, _snapshot(tmp_path, lambda items: _arm_listing(items, next_link=None)))
    assert report["findings"] == []
    assert [c["status"] for c in report["clusters"]] == ["ok"]
    assert code == 0


def test_an_arm_listing_without_next_link_key_is_read_too(capsys, tmp_path):
    code, report = _check(capsys, _snapshot(tmp_path, _arm_listing))
    assert report["findings"] == [] and code == 0


def test_one_page_of_a_paged_listing_is_refused_not_read_as_the_whole(capsys, tmp_path):
    link = f"https://management.azure.com{PROD_WEU}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$skipToken=x"
    code, report = _check(capsys, _snapshot(tmp_path, lambda items: _arm_listing(items[:3], next_link=link)))
    [cluster] = report["clusters"]
    assert cluster["status"] == "unreadable"
    [finding] = report["findings"]
    assert finding["rule"] == "FI-COLLECT-001"
    assert "azure/role-assignments.json" in finding["message"] and "nextLink" in finding["message"]
    assert code != 0


@pytest.mark.parametrize("body", [{"values": []}, {"value": {"a": 1}}, {"value": [], "nextLink": 5}])
def test_a_malformed_arm_listing_makes_the_cluster_unreadable(capsys, tmp_path, body):
    _, report = _check(capsys, _snapshot(tmp_path, lambda items: body))
    [cluster] = report["clusters"]
    [finding] = report["findings"]
    assert cluster["status"] == "unreadable" and "azure/role-assignments.json" in finding["message"]


def test_the_layout_names_the_unfiltered_list_for_scope():
    for doc in ("docs/SPEC.md", "docs/live.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert LAYOUT_COMMAND in text, doc
        assert "az role assignment list --scope <cluster id> --include-inherited\n" not in text, doc


def test_the_live_read_lists_for_the_cluster_scope_without_a_filter_and_keeps_namespace_scopes(fake_fleet, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "snap"
    code, _, _ = invoke_cli(capsys, "snapshot", str(EXAMPLE), "--live", "-o", str(out), "--cluster", "prod-weu",
                            "--timeout", "15", "--now", "2026-11-26")
    assert code == 0
    listings = [r for r in fake_fleet.arm.requests if r.lower().split("?")[0].endswith("/providers/microsoft.authorization/roleassignments")]
    assert listings and all("filter" not in r.lower() for r in listings)
    assert all(r.split(" ", 1)[1].lower().startswith(PROD_WEU.lower() + "/providers/") for r in listings)
    written = json.loads((out / "prod-weu/azure/role-assignments.json").read_text(encoding="utf-8"))
    assert {item["scope"].lower() for item in written if "/namespaces/" in item["scope"]} == {
        f"{PROD_WEU}/namespaces/{ns}".lower() for ns in ("payments", "payments-batch", "data-ingest", "data-warehouse")
    }
