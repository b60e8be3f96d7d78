"""Hostile output directories for `generate`: forged or broken MANIFEST.json, files the
manifest lists that are not ours any more, leftovers of an interrupted run, odd `-o` targets."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from conftest import invoke_cli

from generate_support import example_data, intent_bytes

from intent.generate import writer
NOT_OURS = "MANIFEST.json is not a manifest written by fleet-intent ("
FIX = "; delete it to regenerate (the files it lists are then left in place) or use a new output directory"


def generate(capsys, intent: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return invoke_cli(capsys, "generate", intent, "-o", out, "--now", "2026-11-26", *extra)


@pytest.fixture
def generated(tmp_path, capsys) -> tuple[Path, Path]:
    """(intent, out): the example intent generated into a fresh `out/`."""
    intent = tmp_path / "intent.yaml"
    intent.write_bytes(intent_bytes(example_data()))
    out = tmp_path / "out"
    code, _, err = generate(capsys, intent, out)
    assert code == 0, err
    return intent, out


def manifest_of(out: Path) -> dict:
    return json.loads((out / "MANIFEST.json").read_text())


def write_manifest(out: Path, document) -> None:
    (out / "MANIFEST.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def _valid() -> dict:
    return {
        "files": {"clusters/c1/access.tf": "a" * 64, "modules/namespaces/main.tf": "b" * 64},
        "intent": {"sha256": "c" * 64},
        "tool": {"name": "fleet-intent", "version": "0.1.0"},
        "version": 1,
    }


def _edit(**changes) -> str:
    document = _valid()
    for key, value in changes.items():
        if value is None:
            document.pop(key)
        else:
            document[key] = value
    return json.dumps(document)


# --- R7: MANIFEST.json is validated strictly --------------------------------------------------

BAD_MANIFESTS = {
    "red-team": ('{"tool":"x","files":{}}', "'tool'"),
    "not an object": ("[]", "not a JSON object"),
    "invalid JSON": ('{"files": ', "not valid JSON"),
    "not UTF-8": (b'{"files": "\xff"}', "not valid JSON"),
    "duplicate key": ('{"version": 1, "version": 1}', "duplicate key 'version'"),
    "deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "bigint": ('{"version": ' + "9" * 5000 + "}", "not valid JSON"),
    "missing key": (_edit(intent=None), "missing 'intent'"),
    "extra key": (_edit(extra=True), "unexpected key 'extra'"),
    "newer version": (_edit(version=2), "manifest version 2"),
    "version a string": (_edit(version="1"), "'version'"),
    "tool a string": (_edit(tool="fleet-intent"), "'tool'"),
    "tool named otherwise": (_edit(tool={"name": "x", "version": "1"}), "'tool'"),
    "intent sha not hex": (_edit(intent={"sha256": "zz"}), "'intent'"),
    "files a list": (_edit(files=[{"path": "clusters/c1/a.tf", "sha256": "a" * 64}]), "'files'"),
    "files to non-hashes": (_edit(files={"clusters/c1/a.tf": "b"}), "clusters/c1/a.tf"),
    "files to objects": (_edit(files={"clusters/c1/a.tf": {"sha256": "a" * 64}}), "clusters/c1/a.tf"),
    "path escapes": (_edit(files={"../victim.tf": "a" * 64}), "'../victim.tf'"),
    "absolute path": (_edit(files={"/etc/passwd": "a" * 64}), "'/etc/passwd'"),
    "path outside our layout": (_edit(files={"notes/x.tf": "a" * 64}), "'notes/x.tf'"),
    "cluster folder itself": (_edit(files={"clusters/c1": "a" * 64}), "'clusters/c1'"),
    "backslash": (_edit(files={"clusters\\c1\\a.tf": "a" * 64}), "clusters"),
    "lists itself": (_edit(files={"MANIFEST.json": "a" * 64}), "'MANIFEST.json'"),
    "terraform state": (_edit(files={"clusters/c1/terraform.tfstate": "0" * 64}), "terraform.tfstate"),
    "terraform vars": (_edit(files={"clusters/c1/terraform.tfvars": "0" * 64}), "terraform.tfvars"),
    "terraform working dir": (_edit(files={"clusters/c1/.terraform/x": "0" * 64}), ".terraform"),
    # Another spelling of a generated file would be removed as "no longer generated".
    "dot segment": (_edit(files={"clusters/./prod-use1/access.tf": "0" * 64}), "clusters/./prod-use1/access.tf"),
    "double slash": (_edit(files={"clusters//prod-use1/access.tf": "0" * 64}), "clusters//prod-use1/access.tf"),
    "trailing slash": (_edit(files={"clusters/prod-use1/access.tf/": "0" * 64}), "clusters/prod-use1/access.tf/"),
}


@pytest.mark.parametrize("check", [False, True], ids=["generate", "check"])
@pytest.mark.parametrize("name", list(BAD_MANIFESTS))
def test_manifest_not_ours_is_one_line_exit_2_and_nothing_changes(generated, capsys, name, check):
    intent, out = generated
    text, says = BAD_MANIFESTS[name]
    data = text.encode() if isinstance(text, str) else text
    (out / "MANIFEST.json").write_bytes(data)
    before = tree(out)

    code, stdout, err = generate(capsys, intent, out, *(["--check"] if check else []))

    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {out}/{NOT_OURS}"), err
    assert says in lines[0] and lines[0].endswith(FIX)
    assert stdout == ""
    assert tree(out) == before


def test_manifest_larger_than_the_cap_is_refused_without_reading_it_all(generated, capsys, monkeypatch):
    intent, out = generated
    monkeypatch.setattr(writer, "MAX_MANIFEST_BYTES", 1000)
    code, _, err = generate(capsys, intent, out)
    assert code == 2 and f"{out}/{NOT_OURS}larger than 1000 bytes)" in err


@pytest.mark.parametrize("kind", ["symlink", "directory", "fifo"])
def test_manifest_that_is_not_a_regular_file_is_refused(generated, capsys, kind):
    intent, out = generated
    manifest = out / "MANIFEST.json"
    real = out.parent / "real.json"
    real.write_bytes(manifest.read_bytes())
    manifest.unlink()
    if kind == "symlink":
        manifest.symlink_to(real)
    elif kind == "directory":
        manifest.mkdir()
    else:
        os.mkfifo(manifest)
    for extra in ((), ("--check",)):
        code, _, err = generate(capsys, intent, out, *extra)
        assert code == 2 and err.startswith(f"error: {out}/{NOT_OURS}not a regular file)"), err


def test_manifest_written_by_generate_passes_its_own_validation(generated):
    _, out = generated
    document = writer.read_manifest(out)
    assert document == manifest_of(out)
    assert hashlib.sha256((out / "modules/namespaces/main.tf").read_bytes()).hexdigest() == document["files"]["modules/namespaces/main.tf"]


# --- R8: only files whose content is still what fleet-intent wrote are ever removed ---------

def without_cluster(name: str) -> dict:
    data = example_data()
    data["clusters"] = [c for c in data["clusters"] if c["name"] != name]
    return data


@pytest.mark.parametrize("user_file", ["terraform.tfstate", "terraform.tfvars"])
@pytest.mark.parametrize("listed_sha", ["zeros", "real"])
def test_forged_manifest_listing_terraform_state_never_removes_it(generated, capsys, user_file, listed_sha):
    # The red-team case: MANIFEST.json edited to list the state file (sha 0 x 64), then generate.
    intent, out = generated
    state = out / "clusters/prod-use1" / user_file
    state.write_text('{"version": 4, "serial": 7}\n')
    manifest = manifest_of(out)
    digest = "0" * 64 if listed_sha == "zeros" else hashlib.sha256(state.read_bytes()).hexdigest()
    manifest["files"][f"clusters/prod-use1/{user_file}"] = digest
    write_manifest(out, manifest)

    for extra in ((), ("--check",)):
        code, _, err = generate(capsys, intent, out, *extra)
        assert code == 2, err
        assert f"lists 'clusters/prod-use1/{user_file}': '{user_file}' is Terraform's own file" in err
        assert state.read_text() == '{"version": 4, "serial": 7}\n'


def test_listed_file_whose_content_changed_is_left_in_place_with_a_warning(generated, capsys):
    intent, out = generated
    edited = out / "clusters/dev-weu/access.tf"
    edited.write_text(edited.read_text() + "# a local change\n")
    intent.write_bytes(intent_bytes(without_cluster("dev-weu")))

    code, _, err = generate(capsys, intent, out)

    assert code == 0, err
    assert edited.read_text().endswith("# a local change\n")
    assert sorted(p.name for p in (out / "clusters/dev-weu").iterdir()) == ["access.tf"]
    assert (
        f"warning: {out}/clusters/dev-weu/access.tf: listed in MANIFEST.json but changed since fleet-intent wrote it; "
        "left in place and no longer tracked" in err
    )
    assert "8 removed" in err
    assert not any(p.startswith("clusters/dev-weu/") for p in manifest_of(out)["files"])
    # Untracked now: the next run neither warns again nor calls the tree stale.
    code, _, err = generate(capsys, intent, out, "--check")
    assert code == 0 and "warning" not in err
    assert generate(capsys, intent, out)[2].count("warning") == 0


def test_forged_entry_with_a_wrong_hash_does_not_remove_the_users_file(generated, capsys):
    intent, out = generated
    backend = out / "clusters/prod-use1/backend.tf"
    backend.write_text('terraform {\n  backend "s3" {}\n}\n')
    manifest = manifest_of(out)
    manifest["files"]["clusters/prod-use1/backend.tf"] = "0" * 64
    write_manifest(out, manifest)

    code, out_text, err = generate(capsys, intent, out, "--check")
    assert code == 1 and "a/clusters/prod-use1/backend.tf" not in out_text and "0 removed" in err

    code, _, err = generate(capsys, intent, out)
    assert code == 0 and "0 removed" in err
    assert backend.read_text() == 'terraform {\n  backend "s3" {}\n}\n'
    assert "clusters/prod-use1/backend.tf: listed in MANIFEST.json but changed since fleet-intent wrote it" in err


def test_listed_path_that_is_a_symlink_or_directory_is_left_in_place(generated, capsys, tmp_path):
    intent, out = generated
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    folder = out / "clusters/dev-weu"
    (folder / "rbac.tf").unlink()
    (folder / "rbac.tf").symlink_to(outside)
    (folder / "access.tf").unlink()
    (folder / "access.tf").mkdir()
    intent.write_bytes(intent_bytes(without_cluster("dev-weu")))

    code, _, err = generate(capsys, intent, out)

    assert code == 0, err
    assert (folder / "rbac.tf").is_symlink() and outside.read_text() == "keep\n"
    assert (folder / "access.tf").is_dir()
    assert err.count("left in place and no longer tracked") == 2



# --- R22: -o naming a dangling symbolic link ------------------------------------------------

@pytest.mark.parametrize("check", [False, True], ids=["generate", "check"])
@pytest.mark.parametrize("below", [False, True], ids=["DIR", "a folder above DIR"])
def test_output_dir_that_is_a_dangling_symlink_says_so(tmp_path, capsys, check, below):
    intent = tmp_path / "intent.yaml"
    intent.write_bytes(intent_bytes(example_data()))
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere")

    code, _, err = generate(capsys, intent, link / "sub" if below else link, *(["--check"] if check else []))

    assert code == 2
    assert err.splitlines() == [
        f"error: {link}: is a symbolic link to {tmp_path / 'nowhere'}, which does not exist; "
        "create that directory or remove the link"
    ]
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()


def test_output_dir_that_is_a_symlink_to_a_directory_is_written_through(tmp_path, capsys):
    intent = tmp_path / "intent.yaml"
    intent.write_bytes(intent_bytes(example_data()))
    (tmp_path / "real").mkdir()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "real", target_is_directory=True)
    assert generate(capsys, intent, link)[0] == 0
    assert (tmp_path / "real/MANIFEST.json").is_file() and link.is_symlink()
    assert generate(capsys, intent, link, "--check")[0] == 0


# --- R9: Ctrl-C while staging, and temporary files an earlier crash left behind -------------

LEFTOVER = ".fleet-intent-0123456789abcdef.tmp"


def leftovers(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob(".fleet-intent-*"))


def interrupt_staging_after(monkeypatch, n: int) -> list[int]:
    """Make the writer's per-file staging raise KeyboardInterrupt on its `n`-th call."""
    calls = [0]
    original = writer._write_temporary

    def staging(directory, data, durable=False):
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt
        return original(directory, data, durable)

    monkeypatch.setattr(writer, "_write_temporary", staging)
    return calls


def test_interrupt_while_staging_a_new_directory_leaves_nothing(tmp_path, capsys, monkeypatch):
    intent = tmp_path / "intent.yaml"
    intent.write_bytes(intent_bytes(example_data()))
    calls = interrupt_staging_after(monkeypatch, 20)

    code, out, err = generate(capsys, intent, tmp_path / "out")

    assert calls[0] == 20
    assert code == 130 and out == ""
    assert err == "interrupted\n"
    assert not (tmp_path / "out").exists()


def test_check_refuses_a_linked_folder_inside_dir_as_generate_does(generated, capsys, tmp_path):
    intent, out = generated
    elsewhere = tmp_path / "elsewhere"
    (out / "clusters" / "prod-use1").rename(elsewhere)
    (out / "clusters" / "prod-use1").symlink_to(elsewhere)
    for check in ([], ["--check"]):
        code, _, err = generate(capsys, intent, out, *check)
        assert code == 2 and "is a symbolic link; refusing to write through it" in err, err


def test_a_huge_file_in_dir_is_reported_changed_without_being_read(generated, capsys):
    intent, out = generated
    with open(out / "clusters" / "prod-use1" / "access.tf", "r+b") as handle:
        handle.truncate(8 << 30)  # sparse: 8 GiB that must never be read into memory
    code, out_text, _ = generate(capsys, intent, out, "--check")
    assert code == 1 and "larger than any file fleet-intent writes; not read" in out_text


def test_ctrl_c_just_after_a_temporary_file_is_created_leaves_nothing(tmp_path, capsys, monkeypatch):
    # The real signal, arriving right after the system call that created a temporary file and
    # before the writer recorded it: Python would raise KeyboardInterrupt right there.
    import signal

    intent = tmp_path / "intent.yaml"
    intent.write_bytes(intent_bytes(example_data()))
    original = writer._write_temporary
    calls = [0]

    def staging(directory, data, durable=False):
        tmp = original(directory, data, durable)
        calls[0] += 1
        if calls[0] == 15:
            os.kill(os.getpid(), signal.SIGINT)
        return tmp

    monkeypatch.setattr(writer, "_write_temporary", staging)
    code, out, err = generate(capsys, intent, tmp_path / "out")

    assert (code, err) == (130, "interrupted\n")
    assert calls[0] == 15  # nothing staged after Ctrl-C
    assert not (tmp_path / "out").exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def spoil_every_generated_file(out: Path) -> None:
    """Every .tf file has to be written again by the next generate."""
    for path in out.rglob("*.tf"):
        path.write_text("# edited\n")


def test_interrupt_while_staging_an_existing_directory_leaves_it_as_it_was(generated, capsys, monkeypatch):
    intent, out = generated
    spoil_every_generated_file(out)
    before = tree(out), sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    calls = interrupt_staging_after(monkeypatch, 25)

    code, _, err = generate(capsys, intent, out)

    assert calls[0] == 25
    assert code == 130 and err == "interrupted\n"
    assert (tree(out), sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))) == before
    monkeypatch.undo()
    assert generate(capsys, intent, out, "--check")[0] == 1


def test_leftover_temporary_files_make_check_stale_and_generate_removes_them(generated, capsys):
    intent, out = generated
    for folder in (out, out / "clusters/prod-use1", out / "modules/namespaces"):
        (folder / LEFTOVER).write_text("half a file")
    (out / "clusters/prod-use1/.terraform").mkdir()
    (out / "clusters/prod-use1/.terraform" / LEFTOVER).write_text("not ours: inside .terraform/")

    code, stdout, err = generate(capsys, intent, out, "--check")
    assert code == 1
    assert f"{out} is stale: 0 added, 0 changed, 0 removed, 3 leftover temporary file(s) of an interrupted run" in err
    assert f"clusters/prod-use1/{LEFTOVER}" in stdout

    code, _, err = generate(capsys, intent, out)
    assert code == 0
    assert "removed 3 leftover temporary file(s) of an interrupted run" in err
    assert leftovers(out) == [f"clusters/prod-use1/.terraform/{LEFTOVER}"]
    assert generate(capsys, intent, out, "--check")[0] == 0


def test_leftovers_in_a_directory_without_manifest_are_ours_not_foreign(tmp_path, capsys):
    # An interrupted first run into a new directory, before the fix: only our layout and leftovers.
    intent = tmp_path / "intent.yaml"
    intent.write_bytes(intent_bytes(example_data()))
    out = tmp_path / "out"
    (out / "clusters/prod-use1").mkdir(parents=True)
    (out / LEFTOVER).write_text("x")
    (out / "clusters/prod-use1" / LEFTOVER).write_text("x")

    code, _, err = generate(capsys, intent, out)

    assert code == 0, err
    assert leftovers(out) == []


def test_real_sigint_during_staging_exits_130_and_leaves_no_temporary_files(generated, tmp_path):
    import subprocess
    import sys

    intent, out = generated
    spoil_every_generated_file(out)
    before = tree(out)
    log = tmp_path / "audit.jsonl"
    # The child sends itself a real SIGINT from inside the 10th staged write: no timing involved.
    script = (
        "import os, signal, sys\n"
        "from intent.generate import writer\n"
        "from intent.cli import main as cli\n"
        "original = writer._write_temporary\n"
        "calls = [0]\n"
        "def staging(*args, **kwargs):\n"
        "    calls[0] += 1\n"
        "    if calls[0] == 10:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return original(*args, **kwargs)\n"
        "writer._write_temporary = staging\n"
        "cli.main(sys.argv[1:])\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    env.pop("FLEET_INTENT_AUDIT_LOG", None)
    result = subprocess.run(
        [sys.executable, "-c", script, "generate", str(intent), "-o", str(out), "--now", "2026-11-26", "--audit-log", str(log)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 130, result.stderr
    assert result.stderr == "interrupted\n"
    assert leftovers(out) == [] and tree(out) == before
    [record] = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["exitCode"] == 130 and record["error"] == "interrupted"


def test_verify_with_a_deeply_nested_manifest_reports_it_unreadable(tmp_path, capsys):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    private, public = tmp_path / "key.pem", tmp_path / "pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    out = tmp_path / "out"
    out.mkdir()
    (out / "MANIFEST.json").write_text("[" * 100_000 + "]" * 100_000)
    from intent.evidence.signing import sign_output

    sign_output(str(out), str(private))
    code, stdout, err = invoke_cli(capsys, "verify", out, "--public-key", public)
    assert code == 1 and "internal error" not in err
    assert stdout.splitlines() == ["MANIFEST.json: unreadable file list: nested too deeply"]
