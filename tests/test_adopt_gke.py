"""GKE adoption (SPEC §12): project IAM members, Workload Identity members and the Kubernetes
objects of a cluster's root that already exist are imported with the hashicorp/google ids.

Ids: `google_project_iam_member` `"<project> <role> <member>"` (terraform-provider-google
website/docs/r/google_project_iam.html.markdown, "Import"); `google_service_account_iam_member`
`"projects/<p>/serviceAccounts/<email> <role> <member>"` (google_service_account_iam.html.markdown).
The importer (`iamMemberImport`, google/tpgiamresource/resource_iam_member.go) splits the id on
whitespace and only finds a member of a binding whose condition title is the id's fourth part:
a member held only under a condition is another resource.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import hcl2

from conftest import EXAMPLE, FIXTURES, NOW, invoke_cli
from generate_support import example_data, intent_bytes, parse, strings, unquote

COMPLIANT = FIXTURES / "snapshots" / "compliant"
NOW_TEXT = NOW.date().isoformat()
VIEWER = "roles/container.clusterViewer"
WI_USER = "roles/iam.workloadIdentityUser"
PAYMENTS_GSA = "payments-api@acme-prod.iam.gserviceaccount.com"


# -- helpers shared with tests/test_adopt_aks.py ------------------------------------------------


def plan_of(loaded, cluster: str):
    from intent.plan import plan_fleet

    return plan_fleet(loaded.intent, NOW, [cluster]).clusters[0]


def documents_of(plan, snapshot: Path = COMPLIANT) -> dict:
    """The snapshot documents of `plan`'s cluster, as adopt reads them (a fresh copy)."""
    from intent.observe.snapshot import SnapshotDirSource

    return SnapshotDirSource(str(snapshot)).read_cluster(plan)


def adopt(plan, documents):
    from intent.plugins import load_translator

    return load_translator(plan.provider).adopt(plan, documents)


def imports_of(adoption) -> dict[str, str]:
    return {t.address: t.id for t in adoption.imports}


def target(adoption, address: str):
    return next(t for t in adoption.imports if t.address == address)


def copy_snapshot(tmp_path: Path, cluster: str) -> Path:
    """A copy of the compliant snapshot of `cluster` under tmp_path/snapshot (returned)."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(COMPLIANT / cluster, snapshot / cluster)
    return snapshot


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def run_adopt(capsys, intent: Path, snapshot: Path, out: Path, *clusters: str, fmt: str = "table") -> tuple[int, str, str]:
    args = ["adopt", intent, "--snapshot", snapshot, "-o", out, "--now", NOW_TEXT, "--format", fmt]
    for cluster in clusters:
        args += ["--cluster", cluster]
    return invoke_cli(capsys, *args)


def unreadable(stdout: str, cluster: str) -> str:
    """The FI-COLLECT-001 message of `cluster` in a `--format json` adopt report, which must hold
    no adoption for it (imports.tf left as it was)."""
    report = json.loads(stdout)
    assert [c["status"] for c in report["clusters"] if c["name"] == cluster] == ["unreadable"]
    assert not [a for a in report["adoption"] if a["cluster"] == cluster]
    [finding] = [f for f in report["findings"] if f["cluster"] == cluster and f["rule"] == "FI-COLLECT-001"]
    return finding["message"]


def generate_root(capsys, tmp_path: Path, intent: Path = EXAMPLE) -> Path:
    out = tmp_path / "out"
    code, _, err = invoke_cli(capsys, "generate", intent, "-o", out, "--now", NOW_TEXT)
    assert code == 0, err
    return out


def parsed_imports(path: Path) -> dict[str, str]:
    """`to` -> `id` of every import block of an imports.tf, read back by python-hcl2."""
    out = {}
    for block in hcl2.loads(path.read_text())["import"]:
        to = block["to"]
        assert to.startswith("${") and to.endswith("}"), to
        out[to[2:-1]] = unquote(block["id"])
    return out


def assert_every_target_exists(root: Path, modules: Path, targets) -> None:
    """Each import `to` names a resource of the root, or an instance of a module's resource
    whose key the root passes to the module (the namespaces module's for_each)."""
    resources, module_blocks = set(), {}
    for tf in root.glob("*.tf"):
        if tf.name == "imports.tf":
            continue
        parsed = hcl2.loads(tf.read_text())
        for item in parsed.get("resource", []):
            for rtype, named in item.items():
                resources.update(f"{unquote(rtype)}.{unquote(name)}" for name in named)
        for item in parsed.get("module", []):
            module_blocks.update({unquote(name): strings(body) for name, body in item.items()})
    for to in targets:
        if not to.startswith("module."):
            assert to in resources, f"{to} is not a resource of {root}"
            continue
        _, module, rest = to.split(".", 2)
        assert module in module_blocks, f"{to}: no module {module} in {root}"
        address, _, key = rest.partition("[")
        source = (root / module_blocks[module]["source"]).resolve()
        assert source.is_relative_to(modules.resolve())
        inner = set()
        for tf in source.glob("*.tf"):
            for item in hcl2.loads(tf.read_text()).get("resource", []):
                for rtype, named in item.items():
                    inner.update(f"{unquote(rtype)}.{unquote(name)}" for name in named)
        assert address in inner, f"{to}: the module has no {address}"
        assert unquote(key.rstrip("]")) in module_blocks[module]["namespaces"], f"{to}: the root passes no such key"


# -- the translator ----------------------------------------------------------------------------


def test_existing_members_import_with_the_documented_ids(loaded_example):
    """Existing project and Workload Identity members import as `"<project> <role> <member>"` and
    `"projects/<p>/serviceAccounts/<email> <role> <member>"` (google_project_iam.html.markdown,
    google_service_account_iam.html.markdown), and the Kubernetes objects as their names."""
    plan = plan_of(loaded_example, "prod-euw1")
    adoption = adopt(plan, documents_of(plan))
    ids = imports_of(adoption)
    assert ids["google_project_iam_member.group_platform-admins_at_acme_dot_example"] == (
        f"acme-prod {VIEWER} group:platform-admins@acme.example")
    assert ids["google_project_iam_member.user_auditor_at_acme_dot_example"] == f"acme-prod {VIEWER} user:auditor@acme.example"
    assert ids["google_service_account_iam_member.payments_payments-api"] == (
        f"projects/acme-prod/serviceAccounts/{PAYMENTS_GSA} {WI_USER} serviceAccount:acme-prod.svc.id.goog[payments/payments-api]")
    # The Google service account of another project is addressed in its own project.
    assert ids["google_service_account_iam_member.data-ingest_ingest-worker"].startswith(
        "projects/acme-data/serviceAccounts/ingest-worker@acme-data.iam.gserviceaccount.com ")
    assert ids['module.namespaces.kubernetes_namespace_v1.this["payments"]'] == "payments"
    assert ids["kubernetes_service_account_v1.payments_payments-api"] == "payments/payments-api"
    # role, member and condition are ForceNew: an imported member is already what the root says.
    assert not any(t.changes for t in adoption.imports if t.address.startswith("google_"))
    assert adoption.provider == "gke" and not adoption.notes


def test_missing_members_are_created(loaded_example):
    plan = plan_of(loaded_example, "prod-euw1")
    documents = documents_of(plan)
    for binding in documents["gcp/project-iam.json"]["bindings"]:
        if binding["role"] == VIEWER:
            binding["members"].remove("user:auditor@acme.example")
    documents[f"gcp/service-account-iam/{PAYMENTS_GSA}.json"]["bindings"] = []
    adoption = adopt(plan, documents)
    assert "google_project_iam_member.user_auditor_at_acme_dot_example" in adoption.creates
    assert "google_service_account_iam_member.payments_payments-api" in adoption.creates
    assert "google_project_iam_member.user_auditor_at_acme_dot_example" not in imports_of(adoption)
    assert "google_project_iam_member.group_platform-admins_at_acme_dot_example" in imports_of(adoption)


def test_a_member_held_only_under_a_condition_is_created_with_a_note(loaded_example):
    """A conditional member's import id needs the condition's title and the generated member has
    no condition (resource_iam_member.go): it is another resource, never imported as ours."""
    plan = plan_of(loaded_example, "prod-euw1")
    documents = documents_of(plan)
    bindings = documents["gcp/project-iam.json"]["bindings"]
    viewer = next(b for b in bindings if b["role"] == VIEWER)
    viewer["members"].remove("user:auditor@acme.example")
    bindings.append({"role": VIEWER, "members": ["user:auditor@acme.example"],
                     "condition": {"title": "until\x1b[31m 2027", "expression": "request.time < timestamp('2027-01-01T00:00:00Z')"}})
    adoption = adopt(plan, documents)
    address = "google_project_iam_member.user_auditor_at_acme_dot_example"
    assert address in adoption.creates and address not in imports_of(adoption)
    [note] = adoption.notes
    assert address in note and "condition" in note
    assert "\x1b" not in note and "until\\x1b[31m 2027" in note  # the snapshot's title, escaped


def test_a_member_under_both_an_unconditional_and_a_conditional_binding_imports(loaded_example):
    plan = plan_of(loaded_example, "prod-euw1")
    documents = documents_of(plan)
    documents["gcp/project-iam.json"]["bindings"].append(
        {"role": VIEWER, "members": ["user:auditor@acme.example"], "condition": {"title": "t", "expression": "true"}})
    adoption = adopt(plan, documents)
    assert "google_project_iam_member.user_auditor_at_acme_dot_example" in imports_of(adoption)
    assert not adoption.notes


def test_an_empty_condition_is_no_condition(loaded_example):
    plan = plan_of(loaded_example, "prod-euw1")
    documents = documents_of(plan)
    for binding in documents["gcp/project-iam.json"]["bindings"]:
        if binding["role"] == VIEWER:
            binding["condition"] = {}
    adoption = adopt(plan, documents)
    assert "google_project_iam_member.user_auditor_at_acme_dot_example" in imports_of(adoption)


def test_a_member_spelt_with_another_case_imports(loaded_example):
    """The provider finds the member case-insensitively (strings.ToLower in iamMemberImport) and
    suppresses a case-only difference (iamMemberCaseDiffSuppress)."""
    plan = plan_of(loaded_example, "prod-euw1")
    documents = documents_of(plan)
    viewer = next(b for b in documents["gcp/project-iam.json"]["bindings"] if b["role"] == VIEWER)
    viewer["members"] = [m.replace("group:platform-admins@", "group:Platform-Admins@") for m in viewer["members"]]
    adoption = adopt(plan, documents)
    assert imports_of(adoption)["google_project_iam_member.group_platform-admins_at_acme_dot_example"] == (
        f"acme-prod {VIEWER} group:platform-admins@acme.example")


def test_an_absent_service_account_policy_creates_the_member_with_a_note(loaded_example):
    """The live reader writes no gcp/service-account-iam/<email>.json for a Google service
    account that does not exist (docs/live.md)."""
    plan = plan_of(loaded_example, "prod-euw1")
    documents = documents_of(plan)
    del documents[f"gcp/service-account-iam/{PAYMENTS_GSA}.json"]
    adoption = adopt(plan, documents)
    assert "google_service_account_iam_member.payments_payments-api" in adoption.creates
    assert any(PAYMENTS_GSA in n and "not found" in n for n in adoption.notes)


def test_differing_kubernetes_objects_list_what_apply_changes(loaded_example):
    plan = plan_of(loaded_example, "prod-euw1")
    documents = documents_of(plan)
    for sa in documents["kubernetes/serviceaccounts.json"]["items"]:
        if sa["metadata"]["name"] == "payments-api":
            sa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"] = "other@acme-prod.iam.gserviceaccount.com"
    for rb in documents["kubernetes/rolebindings.json"]["items"]:
        if rb["metadata"]["namespace"] == "payments" and rb["metadata"]["name"] == "fleet-intent-edit-payments-devs":
            # The generated binding's name, with another role: roleRef cannot change.
            rb["metadata"]["name"] = "fleet-intent:payments:edit"
            rb["roleRef"]["name"] = "view"
    adoption = adopt(plan, documents)
    sa = target(adoption, "kubernetes_service_account_v1.payments_payments-api")
    assert any("iam.gke.io/gcp-service-account=other@acme-prod.iam.gserviceaccount.com->" + PAYMENTS_GSA in c for c in sa.changes)
    assert not sa.replaced
    binding = target(adoption, "kubernetes_role_binding_v1.payments_edit")
    assert binding.id == "payments/fleet-intent:payments:edit"
    assert binding.replaced and binding.changes[0].startswith("roleRef: ClusterRole/view -> ClusterRole/edit")
    assert set(adoption.differing) >= {sa, binding}


# -- the CLI -----------------------------------------------------------------------------------


def test_adopt_writes_imports_for_prod_euw1_whose_targets_are_in_the_root(capsys, tmp_path):
    out = generate_root(capsys, tmp_path)
    code, stdout, err = run_adopt(capsys, EXAMPLE, COMPLIANT, out, "prod-euw1")
    assert code == 0, err
    assert "prod-euw1" in stdout
    targets = parsed_imports(out / "clusters" / "prod-euw1" / "imports.tf")
    assert f"acme-prod {VIEWER} group:platform-admins@acme.example" in targets.values()
    assert any(to.startswith("google_service_account_iam_member.") for to in targets)
    assert any(to.startswith("module.namespaces.") for to in targets)
    assert_every_target_exists(out / "clusters" / "prod-euw1", out / "modules", targets)


def test_hostile_names_round_trip_through_imports_tf(capsys, tmp_path):
    """A user with `'`, `+` and `%` in the e-mail and a service account with dots: each id read
    back from imports.tf by python-hcl2 is exactly the provider's id."""
    data = example_data()
    user = "user:o'brien+ops%team@acme.example"
    payments = next(t for t in data["teams"] if t["name"] == "payments")
    payments["access"][1]["gcp"] = [user]
    payments["workloadIdentities"][0]["serviceAccount"] = "api.v2.payments"
    intent = tmp_path / "intent.yaml"
    intent.write_bytes(intent_bytes(data))
    out = generate_root(capsys, tmp_path, intent)
    snapshot = copy_snapshot(tmp_path, "prod-euw1")
    gcp = snapshot / "prod-euw1" / "gcp"
    edit_json(gcp / "project-iam.json", lambda d: next(b for b in d["bindings"] if b["role"] == VIEWER)["members"].append(user))
    member = "serviceAccount:acme-prod.svc.id.goog[payments/api.v2.payments]"
    edit_json(gcp / "service-account-iam" / f"{PAYMENTS_GSA}.json", lambda d: d["bindings"][0]["members"].append(member))
    code, _, err = run_adopt(capsys, intent, snapshot, out, "prod-euw1")
    assert code in (0, 1), err
    targets = parsed_imports(out / "clusters" / "prod-euw1" / "imports.tf")
    assert targets["google_project_iam_member.user_o_u27_brien_u2b_ops_u25_team_at_acme_dot_example"] == f"acme-prod {VIEWER} {user}"
    assert targets["google_service_account_iam_member.payments_api_dot_v2_dot_payments"] == (
        f"projects/acme-prod/serviceAccounts/{PAYMENTS_GSA} {WI_USER} {member}")
    # The provider splits the id on whitespace: exactly resource, role and member.
    assert all(len(i.split()) == 3 for to, i in targets.items() if to.startswith("google_"))
    assert_every_target_exists(out / "clusters" / "prod-euw1", out / "modules", targets)


def test_a_snapshot_missing_a_document_leaves_imports_tf_as_it_was(capsys, tmp_path):
    out = generate_root(capsys, tmp_path)
    snapshot = copy_snapshot(tmp_path, "prod-euw1")
    code, _, err = run_adopt(capsys, EXAMPLE, snapshot, out, "prod-euw1")
    assert code == 0, err
    imports = out / "clusters" / "prod-euw1" / "imports.tf"
    before = imports.read_text()
    (snapshot / "prod-euw1" / "gcp" / "project-iam.json").unlink()
    code, stdout, err = run_adopt(capsys, EXAMPLE, snapshot, out, "prod-euw1", fmt="json")
    assert code == 1, err
    assert "gcp/project-iam.json: missing from the snapshot" in unreadable(stdout, "prod-euw1")
    assert "Traceback" not in err
    assert imports.read_text() == before
