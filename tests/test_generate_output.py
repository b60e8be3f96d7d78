"""`fleet-intent generate`: the written tree, MANIFEST.json, --check, --cluster and safety."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import invoke_cli

from generate_support import example_data, intent_bytes, parse, render

from intent import __version__
from intent.errors import OutputError
from intent.generate.writer import check_output, write_output


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    return invoke_cli(capsys, *argv)


def write_intent(path: Path, data: dict) -> Path:
    path.write_bytes(intent_bytes(data))
    return path


def tree(root: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under `root`."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def generate(tmp_path: Path, capsys, data: dict | None = None, *extra: str, out: str = "out") -> tuple[int, str, str]:
    intent = write_intent(tmp_path / "intent.yaml", data or example_data())
    return run(["generate", str(intent), "-o", str(tmp_path / out), "--now", "2026-11-26", *extra], capsys)


def test_generate_example_twice_writes_byte_identical_trees(tmp_path, capsys):
    assert generate(tmp_path, capsys, None, out="a")[0] == 0
    assert generate(tmp_path, capsys, None, out="b")[0] == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    code, _, err = generate(tmp_path, capsys, None, out="a")
    assert code == 0 and "0 files written" in err and "0 removed" in err


def test_generate_manifest_lists_every_file_with_its_sha256(tmp_path, capsys):
    data = example_data()
    generate(tmp_path, capsys, data)
    out = tmp_path / "out"
    manifest_bytes = (out / "MANIFEST.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    files = tree(out)
    files.pop("MANIFEST.json")
    assert manifest["files"] == {p: hashlib.sha256(b).hexdigest() for p, b in files.items()}
    assert manifest["intent"]["sha256"] == hashlib.sha256(intent_bytes(data)).hexdigest()
    assert manifest["tool"] == {"name": "fleet-intent", "version": __version__}
    assert manifest_bytes == (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    assert "time" not in manifest_bytes.decode().lower()


def test_generate_check_after_generate_exits_0(tmp_path, capsys):
    generate(tmp_path, capsys)
    code, out, err = generate(tmp_path, capsys, None, "--check")
    assert code == 0 and out == "" and "up to date" in err


def test_generate_check_after_intent_change_exits_1_with_diff_and_writes_nothing(tmp_path, capsys):
    generate(tmp_path, capsys)
    before = tree(tmp_path / "out")
    data = example_data()
    data["teams"][0]["namespaces"][1]["labels"]["cost-centre"] = "43"
    code, out, err = generate(tmp_path, capsys, data, "--check")
    assert code == 1
    assert '-        "cost-centre"                  = "42"' in out
    assert '+        "cost-centre"                  = "43"' in out
    assert "stale" in err
    assert tree(tmp_path / "out") == before


def test_generate_check_reports_added_and_removed_files(tmp_path, capsys):
    generate(tmp_path, capsys)
    data = example_data()
    data["clusters"] = [c for c in data["clusters"] if c["name"] != "dev-weu"]
    data["clusters"][2]["authenticationMode"] = "API_AND_CONFIG_MAP"  # legacy-usw2 loses aws-auth
    data["clusters"][2].pop("nodeRoleArns")
    code, out, _ = generate(tmp_path, capsys, data, "--check")
    assert code == 1
    assert "--- a/clusters/dev-weu/access.tf\n+++ /dev/null" in out
    assert "--- a/clusters/legacy-usw2/manifests/aws-auth.yaml\n+++ /dev/null" in out
    assert "--- /dev/null\n+++ b/clusters/legacy-usw2/access.tf" in out


def test_generate_check_missing_output_is_stale(tmp_path, capsys):
    code, out, _ = generate(tmp_path, capsys, None, "--check")
    assert code == 1 and "+++ b/MANIFEST.json" in out
    assert not (tmp_path / "out").exists()


def test_generate_removed_cluster_removes_its_folder(tmp_path, capsys):
    generate(tmp_path, capsys)
    assert (tmp_path / "out/clusters/dev-weu").is_dir()
    data = example_data()
    data["clusters"] = [c for c in data["clusters"] if c["name"] != "dev-weu"]
    code, _, err = generate(tmp_path, capsys, data)
    assert code == 0 and "9 removed" in err
    assert not (tmp_path / "out/clusters/dev-weu").exists()
    manifest = json.loads((tmp_path / "out/MANIFEST.json").read_text())
    assert not any(p.startswith("clusters/dev-weu/") for p in manifest["files"])
    assert generate(tmp_path, capsys, data, "--check")[0] == 0


def test_generate_removed_cluster_keeps_files_that_are_not_ours(tmp_path, capsys):
    generate(tmp_path, capsys)
    folder = tmp_path / "out/clusters/dev-weu"
    (folder / "terraform.tfvars").write_text('kubeconfig_path = "/k"\n')
    (folder / "terraform.tfstate").write_text("{}\n")
    data = example_data()
    data["clusters"] = [c for c in data["clusters"] if c["name"] != "dev-weu"]
    code, _, err = generate(tmp_path, capsys, data)
    assert code == 0 and "clusters/dev-weu is no longer generated" in err
    assert sorted(p.name for p in folder.iterdir()) == ["terraform.tfstate", "terraform.tfvars"]


def test_generate_cluster_option_leaves_other_clusters_untouched(tmp_path, capsys):
    generate(tmp_path, capsys)
    before = tree(tmp_path / "out")
    data = example_data()
    data["teams"][0]["namespaces"][1]["labels"]["cost-centre"] = "43"  # payments-batch: several clusters
    code, _, _ = generate(tmp_path, capsys, data, "--cluster", "prod-use1")
    assert code == 0
    after = tree(tmp_path / "out")
    changed = {p for p in after if before.get(p) != after[p]}
    assert changed == {"clusters/prod-use1/namespaces.tf", "MANIFEST.json"}
    manifest = json.loads(after["MANIFEST.json"])
    assert set(manifest["files"]) == set(after) - {"MANIFEST.json"}
    assert manifest["files"]["clusters/prod-use1/namespaces.tf"] == hashlib.sha256(after["clusters/prod-use1/namespaces.tf"]).hexdigest()
    # The other clusters hosting payments-batch are still stale; the selected one is current.
    assert generate(tmp_path, capsys, data, "--check", "--cluster", "prod-use1")[0] == 0
    assert generate(tmp_path, capsys, data, "--check")[0] == 1


def test_generate_unknown_cluster_is_a_usage_error(tmp_path, capsys):
    code, _, err = generate(tmp_path, capsys, None, "--cluster", "nope")
    assert code == 2 and "no such cluster" in err


def test_write_output_refuses_foreign_non_empty_directory(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "important.txt").write_text("keep me\n")
    files = render(parse(example_data()))
    with pytest.raises(OutputError, match="not empty"):
        write_output(out, files, "0" * 64)
    assert tree(out) == {"important.txt": b"keep me\n"}


def test_write_output_accepts_directory_holding_only_our_layout(tmp_path):
    out = tmp_path / "out"
    (out / "clusters/prod-use1").mkdir(parents=True)
    (out / "clusters/prod-use1/access.tf").write_text("old\n")
    files = render(parse(example_data()))
    outcome = write_output(out, files, "0" * 64)
    assert "clusters/prod-use1/access.tf" in outcome.written


def test_write_output_refuses_symlink_escape(tmp_path):
    out = tmp_path / "out"
    files = render(parse(example_data()))
    write_output(out, files, "0" * 64)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    target = out / "clusters/prod-use1"
    shutil.rmtree(target)
    target.symlink_to(outside, target_is_directory=True)
    data = example_data()
    data["teams"][0]["namespaces"][1]["labels"]["cost-centre"] = "43"
    with pytest.raises(OutputError, match="symbolic link"):
        write_output(out, render(parse(data)), "1" * 64)
    assert list(outside.iterdir()) == []


def test_write_output_refuses_foreign_manifest(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "MANIFEST.json").write_text('{"files": {"../../etc/passwd": "x"}}\n')
    with pytest.raises(OutputError, match="is not a manifest written by fleet-intent"):
        write_output(out, render(parse(example_data())), "0" * 64)


def test_write_output_rejects_paths_outside_the_directory(tmp_path):
    with pytest.raises(OutputError, match="not a relative path"):
        write_output(tmp_path / "out", {"../escape.tf": "x\n"}, "0" * 64)
    assert not (tmp_path / "escape.tf").exists()


def test_write_output_leaves_no_temporary_files(tmp_path):
    out = tmp_path / "out"
    write_output(out, render(parse(example_data())), "0" * 64)
    assert not [p for p in out.rglob(".fleet-intent-*")]
    assert all(oct(p.stat().st_mode & 0o777) == "0o644" for p in out.rglob("*") if p.is_file())


def test_check_output_writes_nothing_when_directory_missing(tmp_path):
    result = check_output(tmp_path / "out", render(parse(example_data())), "0" * 64)
    assert result.stale and "MANIFEST.json" in result.added
    assert not (tmp_path / "out").exists()


def test_generate_templates_override_is_searched_first(tmp_path, capsys):
    templates = tmp_path / "templates" / "gke"
    templates.mkdir(parents=True)
    (templates / "providers.tf.j2").write_text('provider "google" {\n  project = {{ cluster.project }}\n  region  = "europe-west1"\n}\n')
    code, _, _ = generate(tmp_path, capsys, None, "--templates", str(tmp_path / "templates"))
    assert code == 0
    assert 'region  = "europe-west1"' in (tmp_path / "out/clusters/prod-euw1/providers.tf").read_text()


def test_generate_broken_template_names_template_line_and_cluster(tmp_path, capsys):
    templates = tmp_path / "templates" / "aks"
    templates.mkdir(parents=True)
    (templates / "providers.tf.j2").write_text('provider "azurerm" {\n  features {}\n  subscription_id = {{ cluster.no_such_field }}\n}\n')
    code, _, err = generate(tmp_path, capsys, None, "--templates", str(tmp_path / "templates"))
    assert code == 2
    assert "aks/providers.tf.j2:3:" in err and "cluster prod-weu" in err and "no_such_field" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_generate_prints_expired_exception_warnings(tmp_path, capsys):
    intent = write_intent(tmp_path / "intent.yaml", example_data())
    code, _, err = run(["generate", str(intent), "-o", str(tmp_path / "out"), "--now", "2027-07-01"], capsys)
    assert code == 0 and "EXC-042 expired" in err


def test_generate_default_output_is_out_in_the_working_directory(tmp_path, capsys, monkeypatch):
    intent = write_intent(tmp_path / "intent.yaml", example_data())
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(["generate", str(intent), "--now", "2026-11-26"], capsys)
    assert code == 0 and (tmp_path / "out/MANIFEST.json").is_file()
    assert os.path.isdir(tmp_path / "out/modules/namespaces")


def test_write_output_refuses_manifest_listing_paths_outside(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.tf"
    victim.write_text("keep\n")
    (out / "MANIFEST.json").write_text(json.dumps({"files": {"../victim.tf": "0" * 64}, "tool": {"name": "fleet-intent"}}))
    with pytest.raises(OutputError, match="is not a manifest written by fleet-intent"):
        write_output(out, render(parse(example_data())), "0" * 64)
    assert victim.read_text() == "keep\n"


def test_generate_sign_key_writes_a_signature_that_verifies(tmp_path, capsys):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    private = tmp_path / "key.pem"
    public = tmp_path / "pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    assert generate(tmp_path, capsys, None, "--sign-key", str(private))[0] == 0
    assert (tmp_path / "out/MANIFEST.json.sig").is_file()
    assert run(["verify", str(tmp_path / "out"), "--public-key", str(public)], capsys)[0] == 0
    assert generate(tmp_path, capsys, None, "--check")[0] == 0


def test_generate_bad_sign_key_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "key.pem"
    bad.write_text("not a key\n")
    code, _, err = generate(tmp_path, capsys, None, "--sign-key", str(bad))
    assert code == 2 and "signing key" in err
    assert not (tmp_path / "out").exists()


def test_generate_audit_log_records_the_run(tmp_path, capsys):
    log = tmp_path / "audit.jsonl"
    assert generate(tmp_path, capsys, None, "--audit-log", str(log))[0] == 0
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["command"] == "generate" and record["exitCode"] == 0
    assert sorted(record["clusters"]) == ["dev-weu", "legacy-usw2", "prod-euw1", "prod-use1", "prod-weu", "stage-use1"]


def test_generate_write_failure_leaves_output_as_it_was(tmp_path, capsys):
    assert generate(tmp_path, capsys)[0] == 0
    out = tmp_path / "out"
    for path in out.rglob("*.tf"):
        path.unlink()  # every .tf file has to be written again
    blocker = out / "clusters" / "prod-weu"
    shutil.rmtree(blocker)
    blocker.write_text("a file where a cluster folder belongs\n")
    before = tree(out), sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))

    code, _, err = generate(tmp_path, capsys)

    assert code == 2 and "Traceback" not in err
    assert f"error: {blocker}/" in err and "cannot write: Not a directory" in err
    assert (tree(out), sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))) == before


def test_generate_into_a_path_that_cannot_be_created_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x\n")
    code, _, err = generate(tmp_path, capsys, None, out="file/out")
    assert code == 2
    assert err.strip() == f"error: {tmp_path / 'file' / 'out'}: cannot write: Not a directory"


def test_generate_creates_missing_parent_directories(tmp_path, capsys):
    code, _, _ = generate(tmp_path, capsys, None, out="a/b/out")
    assert code == 0 and (tmp_path / "a" / "b" / "out" / "MANIFEST.json").is_file()
