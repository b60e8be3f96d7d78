"""`fleet-intent rollout` end to end with a fake Terraform: a script that records its arguments,
directory and environment, and fails (exit 1) on the clusters named in FAKE_TF_FAIL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE, FIXTURES

SNAPSHOTS = FIXTURES / "snapshots"
NOW = "2026-11-26"
FAKE_TERRAFORM = f"""#!{sys.executable}
import fcntl, json, os, sys, time
cluster = os.path.basename(os.getcwd())
def note(event):
    with open(os.environ["FAKE_TF_RECORD"], "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps({{"event": event, "cluster": cluster, "args": sys.argv[1:], "cwd": os.getcwd(),
                            "automation": os.environ.get("TF_IN_AUTOMATION"), "passed": os.environ.get("FAKE_TF_PASSED")}}) + "\\n")
note("start")
try:
    if sys.argv[1] == "apply":
        time.sleep(float(os.environ.get("FAKE_TF_SLEEP", "0")))
except KeyboardInterrupt:
    note("interrupted")
    print("Interrupt received.")
    sys.exit(1)
note("end")
if sys.argv[1] == "apply" and cluster in os.environ.get("FAKE_TF_FAIL", "").split(","):
    print("Error: creating namespace: fake failure on " + cluster + os.environ.get("FAKE_TF_SAYS", ""))
    sys.exit(1)
print(sys.argv[1] + " complete")
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rollout") / "out"
    done = subprocess.run([sys.executable, "-m", "intent", "generate", str(EXAMPLE), "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """The fake terraform's path; its records are read with `calls()`."""
    script = tmp_path / "terraform"
    script.write_text(FAKE_TERRAFORM)
    script.chmod(0o755)
    record = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_TF_RECORD", str(record))
    monkeypatch.setenv("FAKE_TF_PASSED", "yes")
    monkeypatch.delenv("FAKE_TF_FAIL", raising=False)
    monkeypatch.delenv("FLEET_INTENT_AUDIT_LOG", raising=False)
    return script


def calls(tmp_path) -> list[dict]:
    path = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def applied_clusters(tmp_path) -> list[str]:
    return [c["cluster"] for c in calls(tmp_path) if c["event"] == "end" and c["args"][0] == "apply"]


def journal(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def rollout(run, generated, fake, journal_path, *extra):
    return run("rollout", EXAMPLE, "-o", generated, "--terraform", fake, "--journal", journal_path, "--now", NOW, *extra)


def test_a_failed_apply_halts_before_the_next_wave_and_resume_finishes_what_is_left(run, generated, fake, tmp_path, monkeypatch):
    path = tmp_path / "state" / "rollout.jsonl"
    waves = "canary:dev-weu,stage-use1;50%;rest"  # wave-2: prod-use1, legacy-usw2; wave-3: prod-euw1, prod-weu
    monkeypatch.setenv("FAKE_TF_FAIL", "prod-use1")
    code, out, err = rollout(run, generated, fake, path, "--waves", waves, "--verify", f"snapshot={SNAPSHOTS / 'compliant'}")
    assert code == 1, err
    assert "halted at wave wave-2: terraform failed on 1 cluster(s) of wave wave-2: prod-use1" in out
    assert "prod-use1: terraform apply exited 1" in out
    assert "| Error: creating namespace: fake failure on prod-use1" in out  # the log's last lines
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith(("canary ", "wave-2 ", "wave-3 "))}
    assert rows == {"canary": ["2", "2", "0", "0", "0", "ok"], "wave-2": ["2", "1", "0", "1", "0", "-"], "wave-3": ["2", "0", "0", "0", "2", "-"]}
    assert "fleet: 3 cluster(s) run this intent" in out and "3 have no successful apply on record" in out

    # Terraform ran init then apply in each root of the first two waves, and never in wave 3.
    first = calls(tmp_path)
    assert {c["cluster"] for c in first} == {"dev-weu", "stage-use1", "prod-use1", "legacy-usw2"}
    for cluster in ("dev-weu", "stage-use1", "prod-use1", "legacy-usw2"):
        mine = [c for c in first if c["cluster"] == cluster and c["event"] == "start"]
        assert [c["args"] for c in mine] == [["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]]
        assert all(c["cwd"] == str(generated / "clusters" / cluster) for c in mine)
        assert all(c["automation"] == "1" and c["passed"] == "yes" for c in mine)

    records = journal(path)
    outcomes = {(r["event"], r.get("cluster")) for r in records if r["event"] in ("applied", "failed")}
    assert outcomes == {("applied", "dev-weu"), ("applied", "stage-use1"), ("applied", "legacy-usw2"), ("failed", "prod-use1")}
    failed = next(r for r in records if r["event"] == "failed")
    assert failed["step"] == "apply" and failed["exit_code"] == 1 and failed["interrupted"] is False
    assert Path(failed["log"]).read_text().count("$ ") == 2 and failed["log"].startswith(str(path.parent / "logs"))
    assert records[-1]["event"] == "halted" and records[-1]["wave"] == "wave-2" and records[-1]["clusters"] == ["prod-use1"]
    sha = records[0]["intent_sha256"]
    assert all(r["intent_sha256"] == sha for r in records if r["event"] != "start") and len(sha) == 64

    # The fault removed, --resume applies only what is left: the failed cluster and wave 3.
    monkeypatch.delenv("FAKE_TF_FAIL")
    (tmp_path / "calls.jsonl").unlink()
    code, out, err = rollout(run, generated, fake, path, "--waves", waves, "--verify", f"snapshot={SNAPSHOTS / 'compliant'}", "--resume")
    assert code == 0, err
    assert sorted(applied_clusters(tmp_path)) == ["prod-euw1", "prod-use1", "prod-weu"]
    assert "done: every wave applied and verified" in out and "fleet: 6 cluster(s) run this intent" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith(("canary ", "wave-2 ", "wave-3 "))}
    assert rows["canary"] == ["2", "0", "2", "0", "0", "ok"] and rows["wave-2"] == ["2", "1", "1", "0", "0", "ok"]
    records = journal(path)
    assert records[-1]["event"] == "done" and len({r["run"] for r in records}) == 2  # appended, not truncated

    # Without --resume every cluster is applied again, in a new run appended to the journal.
    (tmp_path / "calls.jsonl").unlink()
    code, out, err = rollout(run, generated, fake, path, "--waves", "rest", "--verify", "none")
    assert code == 0, err
    assert len(applied_clusters(tmp_path)) == 6
    assert "not verified (--verify none)" in err
    assert "done: every wave applied, none verified (--verify none)" in out
    assert len({r["run"] for r in journal(path)}) == 3


def _peak(events: list[dict]) -> int:
    running = peak = 0
    for event in events:
        running += 1 if event["event"] == "start" else -1
        peak = max(peak, running)
    return peak


def test_applies_within_a_wave_are_bounded_and_roots_sharing_an_identity_never_overlap(run, generated, fake, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_TF_SLEEP", "0.2")
    code, _, err = rollout(run, generated, fake, tmp_path / "j.jsonl", "--waves", "rest", "--verify", "none", "--concurrency", "2")
    assert code == 0, err
    events = calls(tmp_path)
    assert len([e for e in events if e["event"] == "end"]) == 12
    assert _peak(events) <= 2  # from the recorded order of starts and ends, not from timing

    code, _, err = rollout(run, generated, fake, tmp_path / "j.jsonl", "--waves", "rest", "--verify", "none", "--concurrency", "6")
    assert code == 0, err
    applies = [e for e in calls(tmp_path)[24:] if e["args"][0] == "apply"]
    # prod-weu and dev-weu both federate the ingest-worker identity: one after the other.
    shared = [e for e in applies if e["cluster"] in ("prod-weu", "dev-weu")]
    assert [e["event"] for e in shared] == ["start", "end", "start", "end"]


def test_a_finding_after_the_canary_halts_the_rollout(run, generated, fake, tmp_path):
    path, audit = tmp_path / "j.jsonl", tmp_path / "audit.jsonl"
    code, out, err = rollout(run, generated, fake, path, "--waves", "canary:prod-use1;rest",
                             "--verify", f"snapshot={SNAPSHOTS / 'namespace-privileged'}", "--audit-log", audit)
    assert code == 1, err
    assert applied_clusters(tmp_path) == ["prod-use1"]
    assert "halted at wave canary" in out and "at or above high" in out
    assert "prod-use1: 1 finding(s): FI-PSA-002 high Namespace/payments" in out
    verified = [r for r in journal(path) if r["event"] == "verified"]
    assert verified == [dict(verified[0], cluster="prod-use1", ok=False, blocking=1, rules=["FI-PSA-002"], status="ok")]
    assert journal(path)[-1]["event"] == "halted"

    (record,) = [json.loads(line) for line in audit.read_text().splitlines()]
    assert record["command"] == "rollout" and record["exitCode"] == 1 and record["counts"]["high"] == 1
    assert record["waves"] == [
        {"name": "canary", "clusters": ["prod-use1"], "applied": 1, "skipped": 0, "failed": 0, "pending": 0, "verified": "blocked"},
        {"name": "wave-2", "clusters": ["stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu"],
         "applied": 0, "skipped": 0, "failed": 0, "pending": 5, "verified": None},
    ]

    # --fail-on critical lets the same drift through.
    code, out, err = rollout(run, generated, fake, path, "--waves", "canary:prod-use1;rest",
                             "--verify", f"snapshot={SNAPSHOTS / 'namespace-privileged'}", "--fail-on", "critical")
    assert code == 0, err


def test_the_snapshot_command_writes_each_waves_snapshot_before_its_check(run, generated, fake, tmp_path):
    snap, log = tmp_path / "snap", tmp_path / "calls.txt"
    command = (f'for c in $(echo "$FLEET_INTENT_CLUSTERS" | tr , " "); do cp -r {SNAPSHOTS / "compliant"}/$c "$FLEET_INTENT_SNAPSHOT_DIR/"; done; '
               f'echo "$FLEET_INTENT_WAVE=$FLEET_INTENT_CLUSTERS" >> {log}')
    code, out, err = rollout(run, generated, fake, tmp_path / "j.jsonl", "--waves", "canary:dev-weu;rest",
                             "--verify", f"snapshot={snap}", "--snapshot-command", command)
    assert code == 0, err
    assert log.read_text().splitlines() == ["canary=dev-weu", "wave-2=prod-use1,stage-use1,legacy-usw2,prod-euw1,prod-weu"]

    (tmp_path / "calls.jsonl").unlink()
    code, out, err = rollout(run, generated, fake, tmp_path / "j.jsonl", "--waves", "canary:dev-weu;rest",
                             "--verify", f"snapshot={tmp_path / 'snap2'}", "--snapshot-command", "echo no credentials; exit 3")
    assert code == 1, err
    assert "wave canary could not be verified: --snapshot-command exited 3" in out
    assert applied_clusters(tmp_path) == ["dev-weu"]


def test_dry_run_prints_the_waves_and_writes_nothing(run, generated, fake, tmp_path):
    path = tmp_path / "state" / "rollout.jsonl"
    code, out, err = rollout(run, generated, fake, path, "--waves", "canary:dev-weu,prod-weu;rest", "--verify", "none", "--dry-run")
    assert code == 0, err
    assert "wave 1 canary (dev-weu,prod-weu): prod-weu, dev-weu" in out
    assert f"  dev-weu: in {generated / 'clusters' / 'dev-weu'}" in out
    assert f"    {fake} apply -auto-approve -input=false -no-color" in out
    assert "one at a time: prod-weu, dev-weu" in out
    assert not (tmp_path / "state").exists() and calls(tmp_path) == []

    # With --resume it tells which clusters a real run would skip.
    assert rollout(run, generated, fake, path, "--waves", "canary:dev-weu,prod-weu;rest", "--verify", "none")[0] == 0
    size = path.stat().st_size
    code, out, _ = rollout(run, generated, fake, path, "--waves", "rest", "--verify", "none", "--dry-run", "--resume")
    assert code == 0 and out.count(": skip (applied from") == 6 and path.stat().st_size == size


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_an_output_not_generated_from_this_intent_is_refused(run, generated, fake, tmp_path):
    changed = tmp_path / "intent.yaml"
    changed.write_text(EXAMPLE.read_text().replace("platform-security@", "platform-sec@", 1))
    code, _, err = run("rollout", changed, "-o", generated, "--terraform", fake, "--waves", "rest", "--journal", tmp_path / "j", "--now", NOW)
    assert code == 2
    line = _one_line(err)
    assert "was generated from another revision" in line and "run `fleet-intent generate" in line
    assert calls(tmp_path) == [] and not (tmp_path / "j").exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = rollout(run, empty, fake, tmp_path / "j", "--waves", "rest")
    assert code == 2 and "MANIFEST.json: not found" in _one_line(err)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--waves", "rest", "--terraform", "/nonexistent/terraform"], "not an executable file"),
        (["--waves", "rest", "--terraform", "no-such-terraform-binary"], "not found on PATH"),
        (["--waves", "canary:nope;rest"], "no cluster 'nope' in the intent"),
        (["--waves", "rest", "--verify", "snapshot"], "give live, none or snapshot=DIR"),
        (["--waves", "rest", "--verify", "snapshot=/nonexistent"], "no such directory"),
        (["--waves", "rest", "--verify", "live", "--snapshot-command", "true"], "--snapshot-command needs --verify snapshot=DIR"),
    ],
)
def test_bad_arguments_are_one_line_errors(run, generated, fake, tmp_path, args, says):
    argv = ["rollout", EXAMPLE, "-o", generated, "--journal", tmp_path / "j", *args]
    if "--terraform" not in args:
        argv += ["--terraform", fake]
    code, _, err = run(*argv)
    assert code == 2 and says in _one_line(err)


def test_a_journal_inside_the_output_is_refused(run, generated, fake, tmp_path):
    code, _, err = rollout(run, generated, fake, generated / ".fleet-intent" / "j.jsonl", "--waves", "rest")
    assert code == 2 and "inside the output directory" in _one_line(err)
    assert not (generated / ".fleet-intent").exists()


def test_ctrl_c_waits_for_terraform_and_records_the_interrupted_clusters_as_failed(generated, fake, tmp_path):
    path = tmp_path / "j.jsonl"
    env = {**os.environ, "FAKE_TF_SLEEP": "60", "PYTHONPATH": str(FIXTURES.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "intent", "rollout", str(EXAMPLE), "-o", str(generated), "--terraform", str(fake), "--journal", str(path),
         "--waves", "canary:dev-weu,stage-use1;rest", "--verify", "none", "--concurrency", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len([c for c in calls(tmp_path) if c["event"] == "start" and c["args"][0] == "apply"]) < 2:
            assert time.monotonic() < deadline and proc.poll() is None, "the fake applies never started"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C at a terminal does: the whole foreground group
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
    interrupted = [c["cluster"] for c in calls(tmp_path) if c["event"] == "interrupted"]
    assert sorted(interrupted) == ["dev-weu", "stage-use1"]  # each got one SIGINT and was waited for
    records = journal(path)
    failed = [r for r in records if r["event"] == "failed"]
    assert sorted(r["cluster"] for r in failed) == ["dev-weu", "stage-use1"]
    assert all(r["interrupted"] is True and r["step"] == "apply" for r in failed)
    assert not [r for r in records if r["event"] == "applied"]
    assert records[-1]["event"] == "halted" and records[-1]["interrupted"] is True
    assert "halted at wave canary: interrupted" in out
    assert {c["cluster"] for c in calls(tmp_path)} == {"dev-weu", "stage-use1"}  # nothing started after the Ctrl-C


def test_log_tails_reach_the_terminal_without_control_characters(run, generated, fake, tmp_path, monkeypatch):
    """The summary quotes the last lines of a failing root's log, which hold what providers
    and APIs said: control characters in them are escaped, never printed."""
    monkeypatch.setenv("FAKE_TF_FAIL", "dev-weu")
    monkeypatch.setenv("FAKE_TF_SAYS", "\x1b]0;owned\x07\x1b[2J")
    code, out, _ = rollout(run, generated, fake, tmp_path / "j.jsonl", "--waves", "canary:dev-weu;rest", "--verify", "none")
    assert code == 1
    assert "fake failure on dev-weu\\x1b]0;owned\\x07\\x1b[2J" in out
    assert "\x1b" not in out and "\x07" not in out


def test_journal_names_the_revision_each_cluster_now_runs(run, generated, fake, tmp_path):
    """An applied record carries the cluster's plan revision, the value its namespaces are
    stamped with (the root's `revision` input), so the journal and `check` name the same thing."""
    import hcl2

    path = tmp_path / "j.jsonl"
    code, _, err = rollout(run, generated, fake, path, "--waves", "canary:dev-weu;rest", "--verify", "none")
    assert code == 0, err
    applied = {r["cluster"]: r["revision"] for r in journal(path) if r["event"] == "applied"}
    assert len(applied) == 6
    for cluster, revision in applied.items():
        module = hcl2.loads((generated / "clusters" / cluster / "namespaces.tf").read_text())["module"][0]
        (call,) = module.values()
        assert call["revision"] == f'"{revision}"'
