"""Every generate and check run, failing ones too, appends one JSON line to the audit log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLE, FIXTURES

ROOT = FIXTURES.parent


def _run(*args: str, cwd: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FLEET_INTENT_AUDIT_LOG"}
    env.update({"PYTHONPATH": str(ROOT), "FLEET_INTENT_ACTOR": "ci-bot", **(env_extra or {})})
    return subprocess.run([sys.executable, "-m", "intent", *args], capture_output=True, text=True, cwd=cwd, env=env)


def _records(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_generate_and_check_runs_each_append_one_line(tmp_path):
    log = tmp_path / "audit.jsonl"
    ok = _run("generate", str(EXAMPLE), "-o", str(tmp_path / "out"), "--audit-log", str(log), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    drift = _run(
        "check", str(EXAMPLE), "--snapshot", str(FIXTURES / "snapshots" / "aws-auth-system-masters"),
        "--format", "json", "--audit-log", str(log), cwd=tmp_path,
    )
    assert drift.returncode == 1, drift.stderr
    bad = _run("generate", str(FIXTURES / "bad" / "unknown-team.yaml"), "-o", str(tmp_path / "o2"), "--audit-log", str(log), cwd=tmp_path)
    assert bad.returncode == 2
    # A run that never reaches the command (bad flag) is recorded too, through the environment.
    usage = _run("check", str(EXAMPLE), "--no-such-flag", cwd=tmp_path, env_extra={"FLEET_INTENT_AUDIT_LOG": str(log)})
    assert usage.returncode == 2

    records = _records(log)
    assert [(r["command"], r["exitCode"]) for r in records] == [("generate", 0), ("check", 1), ("generate", 2), ("check", 2)]
    assert all(r["actor"] == "ci-bot" for r in records)
    assert records[0]["intentSha256"] == records[1]["intentSha256"] and len(records[0]["intentSha256"]) == 64
    assert records[1]["counts"]["critical"] == 1
    assert "legacy-usw2" in records[1]["clusters"]
    assert records[2]["error"] and "unknown-team.yaml" in records[2]["error"]
    assert not (tmp_path / "o2").exists(), "a failed generate writes nothing"


def test_validate_is_not_audited(tmp_path):
    log = tmp_path / "audit.jsonl"
    result = _run("validate", str(EXAMPLE), cwd=tmp_path, env_extra={"FLEET_INTENT_AUDIT_LOG": str(log)})
    assert result.returncode == 0
    assert not log.exists()


def test_unwritable_audit_log_is_exit_2(tmp_path):
    result = _run("generate", str(EXAMPLE), "-o", str(tmp_path / "out"), "--audit-log", str(tmp_path / "missing" / "a.log"), cwd=tmp_path)
    assert result.returncode == 2
    assert "audit log" in result.stderr and "Traceback" not in result.stderr
