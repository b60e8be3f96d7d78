"""`fleet-intent adopt`: imports.tf in each generated root, the summary, exit codes, and what
adopt refuses (SPEC §12).

Every imports.tf written is parsed with python-hcl2 and each `to` address is looked up among
the resources of the generated root it sits in (and the namespaces module's `for_each` keys),
so an import can never name a resource the root does not have.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import hcl2
import pytest

from conftest import EXAMPLE, FIXTURES, ROOT

from intent.check.terraform.hclvalues import decode

SNAPSHOTS = FIXTURES / "snapshots"
NOW = "2026-11-26"
EKS = ("prod-use1", "stage-use1", "legacy-usw2")


@pytest.fixture
def out(tmp_path) -> Path:
    """A copy of the committed, current out/."""
    target = tmp_path / "out"
    shutil.copytree(ROOT / "out", target)
    return target


@pytest.fixture
def snapshot(tmp_path) -> Path:
    """A copy of the compliant snapshot, to edit."""
    target = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOTS / "compliant", target)
    return target


def adopt(run, out: Path, snapshot: Path, *clusters: str, fmt: str = "json"):
    args = ["adopt", EXAMPLE, "--snapshot", snapshot, "-o", out, "--now", NOW, "--format", fmt]
    for cluster in clusters:
        args += ["--cluster", cluster]
    return run(*args)


def import_blocks(path: Path) -> dict[str, str]:
    """`to` address -> import id, as Terraform would read imports.tf."""
    parsed = hcl2.loads(path.read_text(encoding="utf-8"))
    out = {}
    for block in parsed.get("import", []):
        address = block["to"].removeprefix("${").removesuffix("}")
        out[address] = decode(block["id"])  # the HCL string literal's value, escapes undone
        assert isinstance(out[address], str), block
    return out


def root_addresses(root: Path) -> set[str]:
    """Every resource address of a generated root, namespaces module instances included."""
    found = set()
    for path in root.glob("*.tf"):
        if path.name == "imports.tf":
            continue
        parsed = hcl2.loads(path.read_text(encoding="utf-8"))
        for resource in parsed.get("resource", []):
            for kind, named in resource.items():
                found |= {f"{kind.strip(chr(34))}.{name.strip(chr(34))}" for name in named if not name.startswith("__")}
        for module in parsed.get("module", []):
            for name, body in module.items():
                if name.strip('"') == "namespaces":
                    found |= {f'module.namespaces.kubernetes_namespace_v1.this["{key.strip(chr(34))}"]'
                              for key in body["namespaces"]}
    return found


def test_imports_name_only_resources_of_the_generated_root(run, out, snapshot):
    code, stdout, err = adopt(run, out, snapshot)
    assert code in (0, 1), err
    summary = json.loads(stdout)
    assert [a["cluster"] for a in summary["adoption"]] == sorted(p.name for p in (out / "clusters").iterdir())
    for adoption in summary["adoption"]:
        root = out / "clusters" / adoption["cluster"]
        blocks = import_blocks(root / "imports.tf")
        assert blocks and set(blocks) <= root_addresses(root)
        assert blocks == {t["address"]: t["id"] for t in adoption["import"]}
        assert set(adoption["create"]) <= root_addresses(root)
        assert set(adoption["create"]).isdisjoint(blocks)


def test_eks_import_ids_are_the_documented_formats(run, out, snapshot):
    """Ids as hashicorp/aws documents them (website/docs/r/eks_access_entry.html.markdown:
    `cluster:principal_arn`; eks_access_policy_association: `cluster#principal_arn#policy_arn`;
    eks_pod_identity_association: `cluster,association_id`) and hashicorp/kubernetes
    (namespace_v1.md: `name`; role_binding_v1.md: `namespace/name`)."""
    # The snapshot's bindings carry other names; give them the names the root generates.
    for name in ("rolebindings.json", "clusterrolebindings.json"):
        path = snapshot / "legacy-usw2" / "kubernetes" / name
        text = re.sub(r'"name": "fleet-intent-cluster-([a-z-]+)"', r'"name": "fleet-intent:cluster-\1"', path.read_text())
        path.write_text(re.sub(r'"name": "fleet-intent-([a-z]+)-(edit|view|admin)"', r'"name": "fleet-intent:\1:\2"', text))
    code, _, err = adopt(run, out, snapshot, "prod-use1", "legacy-usw2")
    assert code == 0, err
    blocks = import_blocks(out / "clusters" / "prod-use1" / "imports.tf")
    admin = "arn:aws:iam::111122223333:role/platform-admin"
    assert blocks["aws_eks_access_entry.role_111122223333_platform-admin"] == f"prod-use1:{admin}"
    assert blocks["aws_eks_access_policy_association.role_111122223333_platform-admin_cluster-admin"] == (
        f"prod-use1#{admin}#arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")
    associations = json.loads((snapshot / "prod-use1" / "aws" / "pod-identity-associations.json").read_text())
    first = associations[0].get("association", associations[0])
    address = f"aws_eks_pod_identity_association.{first['namespace']}_{first['serviceAccount']}"
    assert blocks[address] == f"prod-use1,{first['associationId']}"
    assert blocks['module.namespaces.kubernetes_namespace_v1.this["payments"]'] == "payments"
    # The EC2_LINUX entry EKS made for the node role is provider-managed: never imported.
    assert not any("prod-use1-nodes" in i for i in blocks.values())
    legacy = import_blocks(out / "clusters" / "legacy-usw2" / "imports.tf")
    bindings = {a: i for a, i in legacy.items() if a.startswith("kubernetes_role_binding_v1.")}
    assert blocks and "kubernetes_cluster_role_binding_v1.cluster-admin" in legacy
    assert legacy["kubernetes_cluster_role_binding_v1.cluster-admin"] == "fleet-intent:cluster-admin"
    assert bindings and all(i.count("/") == 1 and i.split("/")[1].startswith("fleet-intent:") for i in bindings.values())
    # aws-auth data is never imported: kubernetes_config_map_v1_data has no importer.
    assert not any("config_map" in a for a in legacy)


def test_generate_leaves_imports_tf_alone_and_check_does_not_count_it(run, out, snapshot):
    code, _, err = adopt(run, out, snapshot, "prod-use1")
    assert code == 0, err
    imports = out / "clusters" / "prod-use1" / "imports.tf"
    before = imports.read_text()
    assert run("generate", EXAMPLE, "-o", out, "--check", "--now", NOW)[0] == 0
    code, _, err = run("generate", EXAMPLE, "-o", out, "--now", NOW)
    assert code == 0, err
    assert imports.read_text() == before
    assert "imports.tf" not in (out / "MANIFEST.json").read_text()


def test_imports_of_objects_that_are_gone_are_dropped(run, out, snapshot):
    code, _, _ = adopt(run, out, snapshot, "prod-use1")
    assert code == 0
    imports = out / "clusters" / "prod-use1" / "imports.tf"
    assert 'module.namespaces.kubernetes_namespace_v1.this["checkout"]' in import_blocks(imports)

    namespaces = snapshot / "prod-use1" / "kubernetes" / "namespaces.json"
    doc = json.loads(namespaces.read_text())
    doc["items"] = [i for i in doc["items"] if i["metadata"]["name"] != "checkout"]
    namespaces.write_text(json.dumps(doc))
    code, stdout, _ = adopt(run, out, snapshot, "prod-use1")
    assert 'module.namespaces.kubernetes_namespace_v1.this["checkout"]' not in import_blocks(imports)
    (adoption,) = json.loads(stdout)["adoption"]
    assert 'module.namespaces.kubernetes_namespace_v1.this["checkout"]' in adoption["create"]

    # Nothing left to import: the file goes.
    for path in (snapshot / "prod-use1").rglob("*.json"):
        if path.name != "cluster.json":
            path.write_text(json.dumps({"kind": "List", "items": []}) if "kubernetes" in path.parts else "[]")
    code, _, err = adopt(run, out, snapshot, "prod-use1", fmt="table")
    assert not imports.exists(), err
    assert code == 0


def test_unreadable_cluster_keeps_its_imports_and_is_a_finding(run, out, snapshot):
    adopt(run, out, snapshot, "prod-use1")
    imports = out / "clusters" / "prod-use1" / "imports.tf"
    before = imports.read_text()
    (snapshot / "prod-use1" / "aws" / "access-entries.json").unlink()

    code, stdout, _ = adopt(run, out, snapshot, "prod-use1")

    summary = json.loads(stdout)
    assert summary["clusters"] == [{"name": "prod-use1", "provider": "eks", "status": "unreadable"}]
    assert [(f["rule"], f["object"]) for f in summary["findings"]] == [("FI-COLLECT-001", "Cluster/prod-use1")]
    assert "aws/access-entries.json: missing" in summary["findings"][0]["message"]
    assert summary["adoption"] == []
    assert imports.read_text() == before
    assert code == 1


def test_hostile_association_id_is_escaped_in_imports_tf(run, out, snapshot):
    """A server-side id comes from what was read: a snapshot that smuggles HCL into it yields a
    quoted string that evaluates back to exactly that text, never a block."""
    hostile = 'a-1"\n}\nresource "null_resource" "x" {\n  ${file("/etc/passwd")}'
    path = snapshot / "prod-use1" / "aws" / "pod-identity-associations.json"
    associations = json.loads(path.read_text())
    associations[0].get("association", associations[0])["associationId"] = hostile
    path.write_text(json.dumps(associations))

    code, _, err = adopt(run, out, snapshot, "prod-use1")

    assert code == 0, err
    text = (out / "clusters" / "prod-use1" / "imports.tf").read_text()
    parsed = hcl2.loads(text)
    assert set(parsed) - {"__comments__"} == {"import"}
    assert f"prod-use1,{hostile}" in import_blocks(out / "clusters" / "prod-use1" / "imports.tf").values()


def test_creator_admin_entry_stands_in_the_way(run, out, snapshot):
    """EKS gives the cluster creator an AmazonEKSClusterAdminPolicy entry by default
    (REFERENCE-2 §3.1); apply neither imports nor removes it, so adopt reports it (FI-AUTH-001,
    critical: exit 1) while still writing the imports."""
    path = snapshot / "prod-use1" / "aws" / "access-entries.json"
    entries = json.loads(path.read_text())
    creator = "arn:aws:iam::111122223333:role/cluster-creator"
    entries.append({
        "accessEntry": {"clusterName": "prod-use1", "principalArn": creator, "type": "STANDARD",
                        "kubernetesGroups": [], "username": "x", "createdAt": "2026-01-01T00:00:00+00:00",
                        "modifiedAt": "2026-01-01T00:00:00+00:00"},
        "associatedAccessPolicies": [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                                      "accessScope": {"type": "cluster", "namespaces": []}}],
    })
    path.write_text(json.dumps(entries))

    code, stdout, _ = adopt(run, out, snapshot, "prod-use1", fmt="table")

    assert code == 1
    assert "FI-AUTH-001" in stdout and "cluster-creator" in stdout and "in the way of the first apply" in stdout
    assert (out / "clusters" / "prod-use1" / "imports.tf").is_file()


def test_differing_scope_is_summarised_as_a_replacement(run, out, snapshot):
    path = snapshot / "prod-use1" / "aws" / "access-entries.json"
    entries = json.loads(path.read_text())
    deployer = next(e for e in entries if e["accessEntry"]["principalArn"].endswith("checkout-deployer"))
    deployer["associatedAccessPolicies"][0]["accessScope"] = {"type": "namespace", "namespaces": ["ci"]}
    path.write_text(json.dumps(entries))

    code, stdout, _ = adopt(run, out, snapshot, "prod-use1", fmt="table")

    assert "~ aws_eks_access_policy_association.role_111122223333_ci_slash_checkout-deployer_edit: apply replaces" in stdout
    assert "namespace [ci] -> namespace [checkout]" in stdout
    # Until apply replaces it, the entry grants edit in `ci`, where the intent grants none.
    assert code == 1 and "FI-AUTH-004" in stdout


@pytest.mark.parametrize("problem", ["stale", "no-root", "linked-root", "both-sources", "no-source"])
def test_refusals_are_one_line_exit_2_and_write_nothing(run, out, snapshot, tmp_path, problem):
    args = ["adopt", EXAMPLE, "--snapshot", snapshot, "-o", out, "--now", NOW]
    root = out / "clusters" / "prod-use1"
    if problem == "stale":
        (root / "access.tf").write_text("# edited\n")
    elif problem == "no-root":
        args = ["adopt", EXAMPLE, "--snapshot", snapshot, "-o", tmp_path / "empty", "--now", NOW]
    elif problem == "linked-root":
        elsewhere = tmp_path / "elsewhere"
        shutil.move(root, elsewhere)
        root.symlink_to(elsewhere, target_is_directory=True)
    elif problem == "both-sources":
        args.append("--live")
    else:
        args = ["adopt", EXAMPLE, "-o", out, "--now", NOW]

    code, stdout, err = run(*args)

    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(out.rglob("imports.tf"))
    assert not (tmp_path / "elsewhere" / "imports.tf").exists()


def test_adopt_run_is_audited(run, out, snapshot, tmp_path):
    """adopt writes into the output directory, so it leaves an audit line like generate and check."""
    log = tmp_path / "audit.log"
    code, _, _ = run("adopt", EXAMPLE, "--snapshot", snapshot, "-o", out, "--cluster", "prod-use1", "--now", NOW,
                     "--audit-log", log)
    (record,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["command"] == "adopt" and record["exitCode"] == code == 0
    assert record["clusters"] == ["prod-use1"] and "--snapshot" in record["flags"]


def test_summary_never_prints_control_characters_read_from_a_snapshot(run, out, snapshot):
    """A label value read from a cluster reaches the summary's change lines: it is shown with
    anything but printable ASCII replaced, so no terminal escape sequence gets through."""
    path = snapshot / "prod-use1" / "kubernetes" / "namespaces.json"
    doc = json.loads(path.read_text())
    ns = next(i for i in doc["items"] if i["metadata"]["name"] == "payments")
    ns["metadata"].setdefault("labels", {})["fleet-intent/team"] = "\x1b]0;pwned\x07\x1b[31mred"
    path.write_text(json.dumps(doc))

    code, stdout, _ = adopt(run, out, snapshot, "prod-use1", fmt="table")

    assert "~fleet-intent/team=?]0;pwned??[31mred->payments" in stdout
    assert "\x1b" not in stdout and "\x07" not in stdout
