"""`report merge`: sharded runs joined back into the unsharded report, and its failure modes."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sample_reports import INTENT_SHA, sample_report

from intent.errors import UsageError
from intent.check.merge import merge_reports, read_report
from intent.check.report import ClusterStatus, Report
from intent.check.shard import select_shard


def shard_reports(report: Report, n: int) -> list[Report]:
    """What N `check --shard K/N` runs would report: their clusters, plus unmatched-template findings in each."""
    names = [c.name for c in report.clusters]
    out = []
    for k in range(1, n + 1):
        mine = set(select_shard(names, k, n))
        out.append(Report.build(
            report.intent_path, report.intent_sha256,
            [c for c in report.clusters if c.name in mine],
            [f for f in report.findings if f.cluster is None or f.cluster in mine],
            report.generated_at,
        ))
    return out


def write(path: Path, report: Report) -> Path:
    path.write_text(report.to_json(), encoding="utf-8")
    return path


@pytest.mark.parametrize("n", [2, 3, 5])
def test_merge_reports_of_shards_equals_unsharded_report(n):
    report = sample_report()
    shards = shard_reports(report, n)
    assert sum(len(s.clusters) for s in shards) == len(report.clusters)
    assert merge_reports(shards) == report
    assert merge_reports(list(reversed(shards))) == report


def test_merge_reports_deduplicates_and_keeps_unreadable_over_ok():
    report = sample_report()
    flipped = Report.build(report.intent_path, INTENT_SHA, [ClusterStatus("prod-use1", "eks", "unreadable")], [],
                           "2026-11-26T07:00:00+00:00")
    merged = merge_reports([report, report, flipped])
    assert merged.findings == report.findings
    assert {c.name: c.status for c in merged.clusters}["prod-use1"] == "unreadable"
    assert merged.generated_at == "2026-11-26T07:00:00+00:00"


def test_merge_reports_different_intents_raise_naming_files():
    other = Report.build("fleet.yaml", "0" * 64, [], [])
    with pytest.raises(UsageError, match=r"different intents.*a\.json.*b\.json"):
        merge_reports([sample_report(), other], ["a.json", "b.json"])


def test_merge_reports_same_cluster_two_providers_raises():
    a = Report.build("fleet.yaml", INTENT_SHA, [ClusterStatus("x", "eks", "ok")], [])
    b = Report.build("fleet.yaml", INTENT_SHA, [ClusterStatus("x", "gke", "ok")], [])
    with pytest.raises(UsageError, match="'x' is gke here but eks"):
        merge_reports([a, b], ["a.json", "b.json"])


def test_cli_merge_shard_files_json_equals_unsharded(run, tmp_path):
    report = sample_report()
    files = [write(tmp_path / f"shard-{i}.json", s) for i, s in enumerate(shard_reports(report, 3), 1)]
    report = dataclasses.replace(report, generated_at=None)  # the JSON format leaves the run time out
    code, out, err = run("report", "merge", *files, "-o", tmp_path / "merged.json")
    assert (code, out, err) == (0, "", "")
    assert Report.from_dict(json.loads((tmp_path / "merged.json").read_text())) == report
    code, out, _ = run("report", "merge", *files)
    assert code == 0 and Report.from_dict(json.loads(out)) == report


def test_cli_merge_other_formats_and_fail_on(run, tmp_path):
    files = [write(tmp_path / f"shard-{i}.json", s) for i, s in enumerate(shard_reports(sample_report(), 2), 1)]
    code, out, _ = run("report", "merge", *files, "--format", "sarif")
    assert code == 0 and len(json.loads(out)["runs"][0]["results"]) == len(sample_report().findings)
    code, out, _ = run("report", "merge", *files, "--format", "junit")
    assert code == 0 and ET.fromstring(out).get("failures") == str(len(sample_report().findings))
    assert run("report", "merge", *files, "--format", "prometheus")[0] == 0
    assert run("report", "merge", *files, "--fail-on", "critical", "-o", tmp_path / "x.html", "--format", "html")[0] == 1
    assert (tmp_path / "x.html").read_text().startswith("<!DOCTYPE html>")
    clean = write(tmp_path / "clean.json", Report.build("fleet.yaml", INTENT_SHA, [ClusterStatus("a", "eks", "ok")], []))
    assert run("report", "merge", clean, "--fail-on", "info")[0] == 0


@pytest.mark.parametrize(
    "content, cause",
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a fleet-intent JSON report"),
        ('{"version": 9, "intent": {}, "findings": []}', "report version 9 is not supported"),
        ('{"version": 1, "intent": {"path": "f", "sha256": "s"}, "findings": []}', "missing field 'clusters'"),
        ('{"version": 1, "intent": {"path": "f", "sha256": "s"}, "clusters": [],'
         ' "findings": [{"rule": "FI-NS-001", "severity": "dire"}]}', "not a valid fleet-intent JSON report"),
    ],
)
def test_cli_merge_bad_input_exits_2_with_one_line_naming_file(run, tmp_path, content, cause):
    good = write(tmp_path / "good.json", sample_report())
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    code, out, err = run("report", "merge", good, bad)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert str(bad) in err and cause in err


def test_cli_merge_different_intents_exits_2(run, tmp_path):
    a = write(tmp_path / "a.json", sample_report())
    b = write(tmp_path / "b.json", Report.build("fleet.yaml", "f" * 64, [], []))
    code, _, err = run("report", "merge", a, b)
    assert code == 2 and str(a) in err and str(b) in err


def test_read_report_reads_what_to_json_wrote(tmp_path):
    assert read_report(str(write(tmp_path / "r.json", sample_report()))) == sample_report()


def test_cli_merge_requires_a_file(run):
    code, _, err = run("report", "merge")
    assert code == 2 and "REPORT.json" in err
