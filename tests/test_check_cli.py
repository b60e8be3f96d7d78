"""`fleet-intent check`: options, exit codes, report shapes and the audit-trail hand-off."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLE, FIXTURES
from test_check_snapshots import run

SNAPSHOTS = FIXTURES / "snapshots"
FINDING_KEYS = {"rule", "severity", "cluster", "provider", "namespace", "object", "expected", "actual", "message",
                "team", "owner", "remediation"}


def test_check_json_report_has_spec_shape(capsys):
    code, out, _ = run(capsys, "check", str(EXAMPLE), "--snapshot", str(SNAPSHOTS / "namespace-missing"),
                       "--format", "json", "--now", "2026-11-26")
    report = json.loads(out)
    assert set(report) == {"version", "intent", "clusters", "findings"}
    assert report["version"] == 1
    assert report["intent"]["path"] == str(EXAMPLE) and len(report["intent"]["sha256"]) == 64
    # SPEC §8's cluster fields, plus the optional revision of a cluster that was read (docs/check.md).
    assert all(set(c) - {"revision"} == {"name", "provider", "status"} for c in report["clusters"])
    assert all(set(c["revision"]) == {"current", "found"} for c in report["clusters"] if c["status"] == "ok")
    assert report["findings"] and all(set(f) == FINDING_KEYS for f in report["findings"])
    keys = [(f["cluster"], f["rule"], f["object"]) for f in report["findings"]]
    assert keys == sorted(keys)
    ns = next(f for f in report["findings"] if f["rule"] == "FI-NS-001")
    assert ns["namespace"] == "data-warehouse" and ns["provider"] == "gke" and ns["remediation"]
    assert code == 1


def test_check_table_mentions_cluster_and_rule(capsys):
    code, out, _ = run(capsys, "check", str(EXAMPLE), "--snapshot", str(SNAPSHOTS / "namespace-privileged"), "--now", "2026-11-26")
    assert "prod-use1" in out and "FI-PSA-002" in out and "Namespace/payments" in out
    assert "\x1b[" not in out  # plain text when not a terminal
    assert code == 1


def test_check_output_file_written_stdout_empty(capsys, tmp_path):
    target = tmp_path / "report.json"
    code, out, _ = run(capsys, "check", str(EXAMPLE), "--snapshot", str(SNAPSHOTS / "compliant"), "--format", "json",
                       "-o", str(target), "--now", "2026-11-26")
    assert out == ""
    assert json.loads(target.read_text())["findings"] == []
    assert code == 0


def test_check_output_file_that_cannot_be_written_is_one_line_exit_2(capsys, tmp_path):
    (tmp_path / "file").write_text("x\n")
    target = tmp_path / "file" / "report.json"
    code, out, err = run(capsys, "check", str(EXAMPLE), "--snapshot", str(SNAPSHOTS / "compliant"), "--format", "json",
                         "-o", str(target), "--now", "2026-11-26")
    assert code == 2 and out == ""
    assert err.strip() == f"error: -o {target}: cannot write (Not a directory)"


def test_check_output_file_replaced_whole_with_nothing_left_beside_it(capsys, tmp_path):
    target = tmp_path / "report.json"
    target.write_text("an older report\n")
    code, _, _ = run(capsys, "check", str(EXAMPLE), "--snapshot", str(SNAPSHOTS / "compliant"), "--format", "json",
                     "-o", str(target), "--now", "2026-11-26")
    assert code == 0 and json.loads(target.read_text())["findings"] == []
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_check_fail_on_threshold(capsys):
    args = ("check", str(EXAMPLE), "--snapshot", str(SNAPSHOTS / "namespace-privileged"), "--now", "2026-11-26")
    assert run(capsys, *args, "--fail-on", "critical")[0] == 0
    assert run(capsys, *args, "--fail-on", "high")[0] == 1


def test_check_cluster_filter_limits_report(capsys):
    code, out, _ = run(capsys, "check", str(EXAMPLE), "--snapshot", str(SNAPSHOTS / "namespace-privileged"),
                       "--cluster", "prod-euw1", "--format", "json", "--now", "2026-11-26")
    report = json.loads(out)
    assert [c["name"] for c in report["clusters"]] == ["prod-euw1"] and report["findings"] == []
    assert code == 0


@pytest.mark.parametrize(
    "extra, message",
    [
        ((), "nothing to check"),
        (("--snapshot", str(SNAPSHOTS / "compliant"), "--live"), "exclusive"),
        (("--snapshot", str(SNAPSHOTS / "compliant"), "--cluster", "nope"), "no such cluster"),
        (("--snapshot", str(SNAPSHOTS / "does-not-exist")), "does not exist"),
        (("--snapshot", str(SNAPSHOTS / "compliant"), "--format", "yaml"), "yaml"),
    ],
)
def test_check_bad_usage_exit_2(capsys, extra, message):
    code, out, err = run(capsys, "check", str(EXAMPLE), *extra)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_check_shards_partition_the_fleet(capsys):
    seen = []
    for k in (1, 2, 3):
        code, out, _ = run(capsys, "check", str(EXAMPLE), "--snapshot", str(SNAPSHOTS / "compliant"), "--shard", f"{k}/3",
                           "--format", "json", "--now", "2026-11-26")
        assert code == 0
        seen += [c["name"] for c in json.loads(out)["clusters"]]
    assert sorted(seen) == sorted(["prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu"])


def test_check_records_clusters_and_counts_for_audit():
    from click.testing import CliRunner

    from intent.cli.main import RunInfo, _register_commands, cli

    _register_commands()
    info = RunInfo()
    result = CliRunner().invoke(
        cli, ["check", str(EXAMPLE), "--snapshot", str(SNAPSHOTS / "aws-auth-system-masters"), "--now", "2026-11-26"], obj=info
    )
    assert result.exit_code == 1, result.output
    assert sorted(info.clusters) == sorted(["prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu"])
    assert info.counts == {"critical": 1, "high": 0, "medium": 0, "low": 0, "info": 0}
    assert info.intent_sha256 and info.command


def test_check_every_registered_format_renders(capsys):
    from intent.check.formats import FORMATS

    for fmt in FORMATS:
        code, out, err = run(capsys, "check", str(EXAMPLE), "--snapshot", str(SNAPSHOTS / "unreadable"), "--format", fmt,
                             "--now", "2026-11-26")
        assert code == 1, (fmt, err)
        assert out.strip(), fmt
