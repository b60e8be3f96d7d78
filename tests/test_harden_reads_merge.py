"""`report merge` on hostile or inconsistent report files (REDTEAM R14, R21): one line naming
the file and what is wrong, exit 2; never a traceback, a hang, or a merged report built on a
file `check` could not have written."""

from __future__ import annotations

import json
import os

import pytest
from bounded_cli import one_line_error, run_bounded
from sample_reports import sample_report


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.json"
    path.write_text(sample_report().to_json())
    return path


def report_dict() -> dict:
    return json.loads(sample_report().to_json())


def merge_error(run, good, bad) -> str:
    code, out, err = run("report", "merge", good, bad, "--fail-on", "high")
    assert (code, out) == (2, ""), err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert str(bad) in lines[0]
    return lines[0]


# --- R14: deep nesting, huge integers, and files that are not regular ------------------------

@pytest.mark.parametrize(
    "content, cause",
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 100 levels"),
        ('{"version": ' + "1" * 5000 + ', "intent": {}, "clusters": [], "findings": []}', "integer of 5000 digits"),
        ('{"version": 1, "intent": {"path": "x", "sha256": "' + "a" * 64 + '"}, "clusters": [], "findings": [{"line": '
         + "7" * 5000 + "}]}", "integer of 5000 digits"),
        (b'{"version": 1, "\xff": 2}', "not UTF-8 text"),
    ],
    ids=["deep", "bigint-version", "bigint-line", "not-utf8"],
)
def test_r14_deep_or_bigint_report_is_one_line_exit_2(run, good, tmp_path, content, cause):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert cause in merge_error(run, good, bad)


@pytest.mark.parametrize("how, cause", [("fifo", "is a FIFO"), ("/dev/zero", "is a character device"),
                                        ("directory", "is a directory")])
def test_report_that_is_not_a_regular_file_is_refused_without_reading(good, tmp_path, how, cause):
    bad = tmp_path / "bad.json"
    if how == "fifo":
        os.mkfifo(bad)
    elif how == "directory":
        bad.mkdir()
    else:
        bad.symlink_to(how)
    proc = run_bounded("report", "merge", good, bad)
    assert proc.returncode == 2 and proc.stdout == ""
    line = one_line_error(proc)
    assert str(bad) in line and cause in line


def test_report_larger_than_the_cap_is_refused(run, good, tmp_path):
    bad = tmp_path / "big.json"
    with open(bad, "wb") as handle:
        handle.truncate(256 * 1024 * 1024 + 1)  # sparse
    assert "larger than the 256 MiB limit" in merge_error(run, good, bad)


# --- R21: a report must have the shape `check` writes, and be consistent ---------------------

def unreadable_without_collect(d):
    d["findings"] = [f for f in d["findings"] if f["rule"] != "FI-COLLECT-001"]


def collect_for_ok_cluster(d):
    [collect] = [f for f in d["findings"] if f["rule"] == "FI-COLLECT-001"]
    d["findings"].append(dict(collect, cluster="prod-use1", provider="eks"))  # prod-use1 is listed as ok


def lower_collect_severity(d):
    # Unreadable clusters must not slip under --fail-on by a severity their rule never has.
    for finding in d["findings"]:
        if finding["rule"] == "FI-COLLECT-001":
            finding["severity"] = "info"


def a_cluster_finding(d):
    # Template findings (FI-TF-*) may name a cluster the run did not read; the others may not.
    return next(f for f in d["findings"] if f["rule"] != "FI-COLLECT-001" and not f["rule"].startswith("FI-TF-"))


def finding_of_unlisted_cluster(d):
    d["findings"].append(dict(a_cluster_finding(d), cluster="elsewhere"))


def finding_with_another_provider(d):
    finding = a_cluster_finding(d)
    finding["provider"] = next(p for p in ("eks", "gke", "aks") if p != finding["provider"])


def set_in(where, key, value):
    def change(d):
        target = d if where is None else d[where] if where == "intent" else d[where][0]
        target[key] = value
    return change


def drop_in(where, key):
    def change(d):
        (d if where is None else d[where] if where == "intent" else d[where][0]).pop(key)
    return change


CASES = {
    "unreadable-without-collect": (unreadable_without_collect,
                                   "cluster 'stage-use2' is unreadable but has no FI-COLLECT-001 finding"),
    "collect-for-ok-cluster": (collect_for_ok_cluster,
                               "FI-COLLECT-001 finding for cluster 'prod-use1', which the report lists as ok"),
    "status-weird": (set_in("clusters", "status", "weird"), "clusters[0].status 'weird' is not one of: ok, unreadable"),
    "status-missing": (drop_in("clusters", "status"), "clusters[0]: missing field 'status'"),
    "provider-unknown": (set_in("clusters", "provider", "oci"), "clusters[0].provider 'oci' is not one of: aks, eks, gke"),
    "cluster-twice": (lambda d: d["clusters"].append(dict(d["clusters"][0])), "cluster 'dev-euw1' is listed twice"),
    "cluster-name-int": (set_in("clusters", "name", 7), "clusters[0].name is not a non-empty string"),
    "cluster-extra-field": (set_in("clusters", "region", "x"), "clusters[0]: unknown field 'region'"),
    "top-extra-field": (set_in(None, "summary", {}), "unknown field 'summary'"),
    "version-string": (set_in(None, "version", "1"), "report version '1' is not supported"),
    "version-bool": (set_in(None, "version", True), "report version True is not supported"),
    "sha-not-hex": (set_in("intent", "sha256", "z" * 64), "intent.sha256 is not a sha256 hex digest"),
    "intent-path-list": (set_in("intent", "path", ["a"]), "intent.path is not a non-empty string"),
    "clusters-object": (set_in(None, "clusters", {}), "clusters is not a JSON list"),
    "finding-rule-unknown": (set_in("findings", "rule", "FI-XYZ-999"), "findings[0].rule 'FI-XYZ-999' is not a known rule"),
    "finding-line-string": (set_in("findings", "line", "12"), "findings[0].line is not a positive integer"),
    "finding-message-null": (set_in("findings", "message", None), "findings[0].message is not a string"),
    "finding-team-list": (set_in("findings", "team", ["a"]), "findings[0].team is not a string or null"),
    "finding-missing-object": (drop_in("findings", "object"), "findings[0]: missing field 'object'"),
    "finding-extra-field": (set_in("findings", "score", 9), "findings[0]: unknown field 'score'"),
    "generated-at-int": (set_in(None, "generatedAt", 5), "generatedAt is not an ISO date-time string"),
    "collect-severity-lowered": (lower_collect_severity, "severity 'info' is not a severity FI-COLLECT-001 has (high)"),
    "finding-of-unlisted-cluster": (finding_of_unlisted_cluster, "is about cluster 'elsewhere', which the report does not list"),
    "finding-provider-not-its-clusters": (finding_with_another_provider, "is not that of cluster"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_r21_inconsistent_or_ill_typed_report_is_refused(run, good, tmp_path, name):
    change, cause = CASES[name]
    data = report_dict()
    change(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    line = merge_error(run, good, bad)
    assert cause in line, line


def test_r21_unreadable_clusters_without_findings_no_longer_pass(run, tmp_path):
    # The red team's file: two clusters "unreadable", no finding at all; merge said "no findings", exit 0.
    data = {"version": 1, "intent": {"path": "f.yaml", "sha256": "a" * 64},
            "clusters": [{"name": "a", "provider": "eks", "status": "unreadable"},
                         {"name": "b", "provider": "gke", "status": "unreadable"}],
            "findings": []}
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps(data))
    code, out, err = run("report", "merge", bad, "--fail-on", "high")
    assert code == 2 and out == ""
    assert err.strip() == (f"error: {bad}: not a valid fleet-intent JSON report: cluster 'a' is unreadable but has "
                           "no FI-COLLECT-001 finding (a check run always reports why a cluster could not be read)")


def test_what_check_writes_is_accepted(run, tmp_path, capsys):
    from conftest import EXAMPLE, FIXTURES

    report = tmp_path / "r.json"
    code, _, _ = run("check", EXAMPLE, "--snapshot", FIXTURES / "snapshots" / "unreadable", "--now", "2026-11-26",
                     "--terraform", FIXTURES / "terraform", "--format", "json", "-o", report)
    assert code in (1, 2) and report.exists()
    code, out, err = run("report", "merge", report, report)
    assert code == 0 and err == ""
    assert json.loads(out) == json.loads(report.read_text())
