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

from intent import writer

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
