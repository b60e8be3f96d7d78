"""JUnit XML output: parseable, one suite per cluster, failure counts equal to findings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

from sample_reports import INTENT_SHA, finding, sample_report

from intent.check.report import ClusterStatus, Report
from intent.check.formats import format_report
from intent.check.formats.junit import FLEET_SUITE, READABLE_CASE


def junit(report: Report) -> ET.Element:
    return ET.fromstring(format_report("junit", report).encode())


def test_junit_one_suite_per_cluster_plus_fleet_suite_for_unmatched_templates():
    root = junit(sample_report())
    assert root.tag == "testsuites"
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "dev-euw1", "prod-euw1", "prod-use1", "prod-weu", "stage-use2", FLEET_SUITE,
    ]


def test_junit_failure_counts_match_findings_per_cluster_and_total():
    report = sample_report()
    root = junit(report)
    per_cluster = Counter(f.cluster or FLEET_SUITE for f in report.findings)
    for suite in root.findall("testsuite"):
        failures = suite.findall("testcase/failure")
        assert int(suite.get("failures")) == len(failures) == per_cluster[suite.get("name")]
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("errors")) == len(suite.findall("testcase/error"))
    assert int(root.get("failures")) == len(report.findings) == len(root.findall(".//failure"))
    assert int(root.get("tests")) == len(root.findall(".//testcase"))
    # every finding has its failure: (type, message) pairs equal the findings'
    assert sorted((f.get("type"), f.get("message")) for f in root.iter("failure")) == sorted(
        (f.rule, f"{f.rule}: {f.message}") for f in report.findings
    )


def test_junit_readable_case_passes_for_ok_and_fails_for_unreadable_cluster():
    root = junit(sample_report())
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    dev = suites["dev-euw1"].findall("testcase")
    assert [(c.get("name"), list(c)) for c in dev] == [(READABLE_CASE, [])]
    stage = suites["stage-use2"].find(f"testcase[@name='{READABLE_CASE}']")
    assert stage.find("failure").get("type") == "FI-COLLECT-001"
    assert FLEET_SUITE not in [c.get("name") for c in suites[FLEET_SUITE].findall("testcase")]


def test_junit_failure_text_has_expected_actual_owner_remediation_and_file():
    root = junit(sample_report())
    case = next(c for c in root.iter("testcase") if c.get("name") == "kubernetes_namespace_v1.payments [FI-TF-001]")
    assert (case.get("file"), case.get("line")) == ("infra/eks/prod-use1/namespaces.tf", "12")
    text = case.find("failure").text
    for line in ("expected: restricted", "actual: (no label)", "owner: payments-oncall@acme.example",
                 "file: infra/eks/prod-use1/namespaces.tf:12", "remediation: Use the generated namespaces module"):
        assert line in text


def test_junit_same_object_and_rule_twice_gets_distinct_case_names():
    root = junit(sample_report())
    names = [c.get("name") for c in root.find("testsuite[@name='prod-use1']").findall("testcase")]
    assert len(names) == len(set(names))
    psa = [n for n in names if n.startswith("Namespace/payments [FI-PSA-002]")]
    assert len(psa) == 3 and any(" audit level " in n for n in psa) and any(" warn level " in n for n in psa)
    assert "Namespace/payments-batch [FI-PSA-002]" not in names  # unique names stay short
    assert "Exception/EXC-042 [FI-EXC-001]" in names


def test_junit_unreadable_cluster_without_finding_is_an_error_and_control_chars_survive():
    report = Report.build(
        "fleet.yaml", INTENT_SHA, [ClusterStatus("prod-use1", "eks", "ok"), ClusterStatus("stage-use2", "eks", "unreadable")],
        [finding("FI-NS-002", "prod-use1", "Namespace/x\x1b[31m", message="bell\x07 and escape\x1b")],
    )
    root = junit(report)
    assert root.get("errors") == "1"
    assert root.find("testsuite[@name='stage-use2']/testcase/error") is not None
    assert "bell" in root.find(".//failure").get("message")
