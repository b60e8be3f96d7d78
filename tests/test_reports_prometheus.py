"""Prometheus exposition: parses with prometheus_client, values and label escaping correct."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from prometheus_client.parser import text_string_to_metric_families
from sample_reports import INTENT_SHA, finding, sample_report

from intent.check.report import ClusterStatus, Report
from intent.check.formats import format_report


def families(report: Report) -> dict:
    return {f.name: f for f in text_string_to_metric_families(format_report("prometheus", report))}


def test_prometheus_findings_gauge_counts_by_cluster_rule_severity_team():
    report = sample_report()
    fams = families(report)
    assert fams["fleet_intent_findings"].type == "gauge"
    got = {
        (s.labels["cluster"], s.labels["rule"], s.labels["severity"], s.labels["team"]): s.value
        for s in fams["fleet_intent_findings"].samples
    }
    want = Counter((f.cluster or "", f.rule, f.severity.value, f.team or "") for f in report.findings)
    assert got == {k: float(v) for k, v in want.items()}
    assert sum(got.values()) == len(report.findings)


def test_prometheus_cluster_readable_and_timestamp():
    fams = families(sample_report())
    readable = {s.labels["cluster"]: s.value for s in fams["fleet_intent_cluster_readable"].samples}
    assert readable == {"dev-euw1": 1, "prod-euw1": 1, "prod-use1": 1, "prod-weu": 1, "stage-use2": 0}
    (stamp,) = fams["fleet_intent_check_timestamp_seconds"].samples
    assert stamp.value == dt.datetime(2026, 11, 26, 6, tzinfo=dt.timezone.utc).timestamp()


def test_prometheus_no_timestamp_series_without_generated_at():
    report = Report.build("fleet.yaml", INTENT_SHA, [ClusterStatus("a", "eks", "ok")], [])
    fams = families(report)
    assert "fleet_intent_check_timestamp_seconds" not in fams
    assert [s.value for s in fams["fleet_intent_cluster_readable"].samples] == [1]


def test_prometheus_label_values_with_quotes_backslashes_newlines_round_trip():
    odd_team = 'pay"ments\\team\nsecond line'
    odd_cluster = 'c"1\\'
    f = finding("FI-NS-002", None, "Namespace/x")
    f = f.__class__(**{**f.to_dict(), "severity": f.severity, "cluster": odd_cluster, "team": odd_team})
    report = Report.build("fleet.yaml", INTENT_SHA, [ClusterStatus(odd_cluster, "eks", "ok")], [f], "2026-11-26")
    text = format_report("prometheus", report)
    assert "\nsecond line" not in text  # newline escaped, not literal
    fams = families(report)
    (sample,) = fams["fleet_intent_findings"].samples
    assert sample.labels == {"cluster": odd_cluster, "rule": "FI-NS-002", "severity": "medium", "team": odd_team}
    assert fams["fleet_intent_cluster_readable"].samples[0].labels == {"cluster": odd_cluster}
    assert fams["fleet_intent_check_timestamp_seconds"].samples[0].value == dt.datetime(
        2026, 11, 26, tzinfo=dt.timezone.utc).timestamp()
