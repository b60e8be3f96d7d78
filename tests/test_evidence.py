"""Audit log, signed output and `fleet-intent verify` (SPEC §10)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from intent.errors import UsageError
from intent.evidence.audit import append_audit, audit_log_path, audit_record, audit_run, flag_names
from intent.evidence.signing import sign_output, verify_output

ROOT = Path(__file__).resolve().parent.parent


def write_key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    """An Ed25519 PKCS8 private key and its SubjectPublicKeyInfo public key, as openssl writes them."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = directory / f"{name}.pem"
    public = directory / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


def make_output(directory: Path) -> Path:
    """A small generated tree with a MANIFEST.json in the writer's shape."""
    out = directory / "out"
    files = {
        "modules/namespaces/main.tf": 'resource "kubernetes_namespace_v1" "this" {}\n',
        "clusters/prod-use1/access.tf": 'resource "aws_eks_access_entry" "a" {}\n',
        "clusters/legacy-usw2/manifests/aws-auth.yaml": "apiVersion: v1\nkind: ConfigMap\n",
    }
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    manifest = {
        "files": {rel: hashlib.sha256(text.encode()).hexdigest() for rel, text in sorted(files.items())},
        "intent": {"path": "fixtures/example.yaml", "sha256": "0" * 64},
        "version": "0.1.0",
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return out


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intent", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, Path, Path]:
    private, public = write_key_pair(tmp_path, "signer")
    out = make_output(tmp_path)
    sign_output(str(out), str(private))
    return out, private, public


def test_sign_output_then_verify_output_is_clean(signed):
    out, _, public = signed
    sig = (out / "MANIFEST.json.sig").read_text()
    assert sig.endswith("\n") and "\n" not in sig[:-1]
    assert verify_output(str(out), str(public)) == []


def test_verify_cli_good_tree_exits_0_with_count(signed):
    out, _, public = signed
    result = run_cli("verify", str(out), "--public-key", str(public))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "verified 3 files"


def test_verify_cli_changed_byte_exits_1_naming_file(signed):
    out, _, public = signed
    target = out / "clusters/prod-use1/access.tf"
    data = bytearray(target.read_bytes())
    data[0] ^= 0x01
    target.write_bytes(bytes(data))
    result = run_cli("verify", str(out), "--public-key", str(public))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clusters/prod-use1/access.tf: changed")


def test_verify_cli_added_file_exits_1_naming_file(signed):
    out, _, public = signed
    (out / "clusters/prod-use1/backdoor.tf").write_text('resource "aws_eks_access_entry" "x" {}\n')
    result = run_cli("verify", str(out), "--public-key", str(public))
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["clusters/prod-use1/backdoor.tf: added (not in MANIFEST.json)"]


def test_verify_cli_removed_file_exits_1_naming_file(signed):
    out, _, public = signed
    (out / "modules/namespaces/main.tf").unlink()
    result = run_cli("verify", str(out), "--public-key", str(public))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "modules/namespaces/main.tf: removed (listed in MANIFEST.json, missing on disk)"
    ]


def test_verify_cli_wrong_public_key_exits_1(signed, tmp_path: Path):
    out, _, _ = signed
    _, other_public = write_key_pair(tmp_path, "other")
    result = run_cli("verify", str(out), "--public-key", str(other_public))
    assert result.returncode == 1
    assert "signature does not match" in result.stdout
    assert "MANIFEST.json.sig" in result.stdout


def test_verify_output_edited_manifest_fails_signature(signed):
    out, _, public = signed
    manifest = json.loads((out / "MANIFEST.json").read_text())
    (out / "clusters/prod-use1/access.tf").write_text("tampered\n")
    manifest["files"]["clusters/prod-use1/access.tf"] = hashlib.sha256(b"tampered\n").hexdigest()
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    problems = verify_output(str(out), str(public))
    assert any("signature does not match" in p for p in problems)


def test_verify_output_missing_signature_is_a_problem(signed):
    out, _, public = signed
    (out / "MANIFEST.json.sig").unlink()
    assert verify_output(str(out), str(public)) == [
        "MANIFEST.json.sig: missing; the output is not signed (generate --sign-key KEY)"
    ]


def test_verify_cli_missing_dir_or_key_exits_2(signed, tmp_path: Path):
    out, private, public = signed
    assert run_cli("verify", str(tmp_path / "nope"), "--public-key", str(public)).returncode == 2
    missing_key = run_cli("verify", str(out), "--public-key", str(tmp_path / "nope.pem"))
    assert missing_key.returncode == 2 and "no such file" in missing_key.stderr
    assert "Traceback" not in missing_key.stderr
    assert run_cli("verify", str(out)).returncode == 2
    private_as_public = run_cli("verify", str(out), "--public-key", str(private))
    assert private_as_public.returncode == 2 and "private key" in private_as_public.stderr


def test_sign_output_wrong_key_type_is_usage_error(tmp_path: Path):
    out = make_output(tmp_path)
    ec_key = tmp_path / "ec.pem"
    ec_key.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(UsageError, match="is an EC key; fleet-intent signs with Ed25519 only"):
        sign_output(str(out), str(ec_key))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key\n")
    with pytest.raises(UsageError, match="not a PEM private key"):
        sign_output(str(out), str(garbage))
    with pytest.raises(UsageError, match="no such file"):
        sign_output(str(out), str(tmp_path / "missing.pem"))


def test_sign_output_without_manifest_is_usage_error(tmp_path: Path):
    private, _ = write_key_pair(tmp_path, "k")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="MANIFEST.json: no such file"):
        sign_output(str(tmp_path / "empty"), str(private))


def test_verify_output_accepts_list_shaped_manifest(tmp_path: Path):
    private, public = write_key_pair(tmp_path, "k")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.tf").write_text("a\n")
    manifest = {"files": [{"path": "a.tf", "sha256": hashlib.sha256(b"a\n").hexdigest()}]}
    (out / "MANIFEST.json").write_text(json.dumps(manifest))
    sign_output(str(out), str(private))
    assert verify_output(str(out), str(public)) == []


_APPENDER = """
import sys
from intent.evidence.audit import append_audit, audit_record
index = int(sys.argv[2])
# A line far larger than PIPE_BUF, so interleaving would show if the lock did not hold.
clusters = [f"cluster-{index}-{n:05d}" for n in range(3000)]
record = audit_record("check", "ab" * 32, clusters, {"high": index}, 1 if index % 2 else 0)
append_audit(sys.argv[1], record)
"""


def test_append_audit_20_concurrent_processes_write_20_whole_lines(tmp_path: Path):
    log = tmp_path / "audit.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen([sys.executable, "-c", _APPENDER, str(log), str(i)], cwd=ROOT, env=env)
        for i in range(20)
    ]
    assert [p.wait() for p in procs] == [0] * 20
    data = log.read_bytes()
    assert data.endswith(b"\n")
    lines = data.decode("ascii").splitlines()
    assert len(lines) == 20
    records = [json.loads(line) for line in lines]
    assert sorted(r["counts"]["high"] for r in records) == list(range(20))
    for record in records:
        index = record["counts"]["high"]
        assert record["clusters"] == [f"cluster-{index}-{n:05d}" for n in range(3000)]


def test_append_audit_missing_directory_is_usage_error(tmp_path: Path):
    with pytest.raises(UsageError, match="does not exist"):
        append_audit(str(tmp_path / "no" / "audit.jsonl"), {"command": "check"})


def test_append_audit_appends_and_keeps_earlier_lines(tmp_path: Path):
    log = tmp_path / "audit.jsonl"
    log.write_text('{"earlier": true}\n')
    append_audit(str(log), audit_record("generate", None, [], {}, 2, error="bad intent"))
    lines = log.read_text().splitlines()
    assert json.loads(lines[0]) == {"earlier": True}
    assert json.loads(lines[1])["exitCode"] == 2


def test_audit_record_fields_and_actor_precedence():
    env = {"GITHUB_ACTOR": "octocat", "GITLAB_USER_LOGIN": "gl-user"}
    record = audit_record("generate", "f" * 64, ["prod-use1"], {"critical": 1}, 1, environ=env)
    assert record["actor"] == "octocat" and record["actorSource"] == "GITHUB_ACTOR"
    assert record["command"] == "generate"
    assert record["intentSha256"] == "f" * 64
    assert record["clusters"] == ["prod-use1"]
    assert record["counts"] == {"critical": 1, "high": 0, "medium": 0, "low": 0, "info": 0}
    assert record["exitCode"] == 1 and record["error"] is None
    assert record["time"].endswith("Z") and "T" in record["time"]
    assert record["version"] and record["host"]
    explicit = audit_record("check", None, [], {}, 0, environ={**env, "FLEET_INTENT_ACTOR": "release-bot"})
    assert explicit["actor"] == "release-bot"
    fallback = audit_record("check", None, [], {}, 0, environ={})
    assert fallback["actorSource"] == "os-user" and fallback["actor"]


def test_audit_record_never_contains_env_secrets():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
    env = {"AWS_SECRET_ACCESS_KEY": secret, "GITHUB_TOKEN": token, "GITHUB_ACTOR": "octocat"}
    argv = ["check", "fixtures/example.yaml", "--live", f"--audit-log=/tmp/{secret}", "-o", token]
    record = audit_record(
        "check",
        "a" * 64,
        ["prod-use1"],
        {"high": 2},
        2,
        error=f"eks: auth failed with key {secret} and token {token}; header Bearer {token}",
        flags=flag_names(argv),
        environ=env,
    )
    text = json.dumps(record)
    assert secret not in text and token not in text
    assert record["flags"] == ["--audit-log", "--live", "-o"]
    assert "[redacted]" in record["error"]


def test_audit_record_process_env_secret_not_recorded(monkeypatch):
    secret = "AKIAIOSFODNN7EXAMPLE-very-secret-value"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    record = audit_record("check", None, [], {}, 2, error=f"boom {secret}")
    assert secret not in json.dumps(record)


def test_audit_log_path_option_then_env():
    assert audit_log_path("a.jsonl", {"FLEET_INTENT_AUDIT_LOG": "b.jsonl"}) == "a.jsonl"
    assert audit_log_path(None, {"FLEET_INTENT_AUDIT_LOG": "b.jsonl"}) == "b.jsonl"
    assert audit_log_path(None, {}) is None


class _Info:
    command = None
    intent_sha256 = None
    clusters: list[str] = []
    counts: dict[str, int] = {}
    audit_log = None


def test_audit_run_failed_before_parsing_uses_argv(tmp_path: Path):
    log = tmp_path / "audit.jsonl"
    argv = ["check", "intent.yaml", "--bogus", f"--audit-log={log}"]
    assert audit_run(_Info(), 2, "no such option: --bogus", argv) == str(log)
    (record,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["command"] == "check" and record["exitCode"] == 2
    assert record["flags"] == ["--audit-log", "--bogus"]


def test_audit_run_skips_unaudited_commands_and_unnamed_logs(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("FLEET_INTENT_AUDIT_LOG", raising=False)
    assert audit_run(_Info(), 0, None, ["validate", "intent.yaml", "--audit-log", str(tmp_path / "a")]) is None
    assert audit_run(_Info(), 0, None, ["generate", "intent.yaml"]) is None
    monkeypatch.setenv("FLEET_INTENT_AUDIT_LOG", str(tmp_path / "env.jsonl"))
    info = _Info()
    info.command, info.intent_sha256, info.clusters, info.counts = "generate", "c" * 64, ["prod-use1"], {}
    assert audit_run(info, 0, None, ["generate", "intent.yaml"]) == str(tmp_path / "env.jsonl")
    assert json.loads((tmp_path / "env.jsonl").read_text())["intentSha256"] == "c" * 64
