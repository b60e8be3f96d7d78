"""`fleet-intent snapshot --live -o DIR` against the fake fleet, and its round trip through `check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import EXAMPLE
from fakes.compare import differences, served
from fakes.fleet import COMPLIANT, fake_fleet  # noqa: F401  (fixture)

from intent.cli.main import main

ALL = ("prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu")


def run(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    return exit_info.value.code


def snapshot(out: Path, *extra: str) -> int:
    return run("snapshot", str(EXAMPLE), "--live", "-o", str(out), "--timeout", "15", "--now", "2026-11-26", *extra)


def test_snapshot_live_writes_layout(fake_fleet, tmp_path, capsys):
    out = tmp_path / "snap"

    assert snapshot(out) == 0

    assert sorted(p.name for p in out.iterdir()) == sorted(ALL)
    problems = [p for name in ALL for p in differences(served(out, name), fake_fleet.data, name)]
    assert problems == []
    for file in out.rglob("*.json"):
        text = file.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "wrote 6 cluster(s), 0 unreadable" in capsys.readouterr().err


def test_snapshot_live_unreadable_cluster_exit_1_others_written(fake_fleet, tmp_path, capsys):
    out = tmp_path / "snap"
    (out / "prod-use1" / "aws").mkdir(parents=True)
    (out / "prod-use1" / "aws" / "cluster.json").write_text("{}")  # yesterday's dump
    fake_fleet.eks.fail(r"^/clusters/prod-use1$", 403)

    assert snapshot(out) == 1

    err = capsys.readouterr().err
    assert "prod-use1: unreadable: eks describe_cluster: AccessDeniedException: " in err
    assert "(its earlier dump was removed)" in err
    assert not (out / "prod-use1").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(set(ALL) - {"prod-use1"})


def test_snapshot_live_replaces_stale_documents(fake_fleet, tmp_path):
    out = tmp_path / "snap"
    stale = out / "prod-use1" / "kubernetes" / "aws-auth.json"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"kind": "ConfigMap"}')

    assert snapshot(out, "--cluster", "prod-use1") == 0

    assert not stale.exists()  # prod-use1 has no aws-auth ConfigMap now
    assert (out / "prod-use1" / "kubernetes" / "namespaces.json").is_file()
    assert [p.name for p in out.iterdir()] == ["prod-use1"]


def test_snapshot_without_live_exit_2(tmp_path, capsys):
    assert run("snapshot", str(EXAMPLE), "-o", str(tmp_path / "snap")) == 2
    assert "pass --live" in capsys.readouterr().err


def test_snapshot_unknown_cluster_exit_2(tmp_path, capsys):
    assert run("snapshot", str(EXAMPLE), "--live", "-o", str(tmp_path / "snap"), "--cluster", "nope") == 2
    assert "no such cluster" in capsys.readouterr().err


def check_json(*args: str) -> dict:
    """`check --format json` run through its click command; the report without its timestamp."""
    from click.testing import CliRunner

    from intent.cli.main import RunInfo
    from intent.cli.check import command as check

    result = CliRunner().invoke(check, [str(EXAMPLE), "--format", "json", "--now", "2026-11-26", *args], obj=RunInfo())
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    return {"clusters": report["clusters"], "findings": report["findings"]}


def without_collect_causes(report: dict) -> dict:
    """The report with FI-COLLECT-001 causes blanked: the cause differs by source (an API
    error live, a missing directory from a snapshot) while the finding is the same."""
    findings = [dict(f, message="", actual="") if f["rule"] == "FI-COLLECT-001" else f for f in report["findings"]]
    return {"clusters": report["clusters"], "findings": findings}


def test_snapshot_live_then_check_snapshot_same_findings_as_check_live(fake_fleet, tmp_path):
    out = tmp_path / "snap"
    fake_fleet.google.fail(r"/serviceAccounts/checkout-web@[^/]+:getIamPolicy$", 403, method="POST")
    assert snapshot(out) == 1  # prod-euw1 unreadable: its findings must agree too

    from_snapshot = check_json("--snapshot", str(out))
    live = check_json("--live", "--timeout", "15")

    assert without_collect_causes(from_snapshot) == without_collect_causes(live)
    assert {c["name"]: c["status"] for c in live["clusters"]}["prod-euw1"] == "unreadable"
    causes = [f["actual"] for f in live["findings"] if f["rule"] == "FI-COLLECT-001"]
    assert len(causes) == 1 and "iam get_iam_policy checkout-web@acme-prod.iam.gserviceaccount.com: HTTP 403" in causes[0]


def test_check_live_same_findings_as_check_compliant_snapshot(fake_fleet):
    assert check_json("--live", "--timeout", "15") == check_json("--snapshot", str(COMPLIANT))


@pytest.fixture
def drifted_fleet(tmp_path, monkeypatch, loaded_example):
    """The compliant fleet, except that prod-use1 went back to CONFIG_MAP authentication."""
    import shutil

    from fakes.fleet import example_contexts, start_fleet

    data = tmp_path / "data"
    shutil.copytree(COMPLIANT, data)
    cluster_file = data / "prod-use1" / "aws" / "cluster.json"
    cluster = json.loads(cluster_file.read_text())
    cluster["cluster"]["accessConfig"]["authenticationMode"] = "CONFIG_MAP"
    cluster_file.write_text(json.dumps(cluster))
    (data / "prod-use1" / "aws" / "access-entries.json").unlink()
    fleet = start_fleet(data, tmp_path, monkeypatch, example_contexts(loaded_example.intent))
    yield fleet
    for server in fleet.servers:
        server.stop()
    assert not fleet.unexpected(), "\n".join(fleet.unexpected())


def test_snapshot_live_auth_mode_drift_same_findings_as_check_live(drifted_fleet, tmp_path):
    out = tmp_path / "snap"
    assert snapshot(out, "--cluster", "prod-use1") == 0
    assert json.loads((out / "prod-use1" / "aws" / "access-entries.json").read_text()) == []

    from_snapshot = check_json("--snapshot", str(out), "--cluster", "prod-use1")
    live = check_json("--live", "--timeout", "15", "--cluster", "prod-use1")

    assert from_snapshot == live
    assert "FI-AUTH-005" in {f["rule"] for f in live["findings"]}
