"""SARIF output: schema-valid, one rule per rule id, results carrying cluster, object and locations."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest
from sample_reports import INTENT_SHA, sample_report

from intent.check.findings import RULES
from intent.check.report import ClusterStatus, Report
from intent.check.formats import format_report
from intent.check.formats.sarif import FINGERPRINT_KEY, SECURITY_SEVERITY

SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def sarif(report: Report, **options) -> dict:
    return json.loads(format_report("sarif", report, **options))


def test_sarif_sample_report_validates_against_vendored_schema(validator):
    validator.validate(sarif(sample_report()))


def test_sarif_empty_report_validates(validator):
    empty = Report.build("fleet.yaml", INTENT_SHA, [ClusterStatus("a", "eks", "ok")], [])
    log = sarif(empty)
    validator.validate(log)
    assert log["runs"][0]["results"] == []


def test_sarif_rules_one_per_catalogue_id_with_github_metadata():
    driver = sarif(sample_report())["runs"][0]["tool"]["driver"]
    assert driver["name"] == "fleet-intent"
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    by_id = {r["id"]: r for r in driver["rules"]}
    auth = by_id["FI-AUTH-001"]
    assert auth["name"] == "UnauthorisedClusterAdmin"
    assert auth["shortDescription"]["text"] == RULES["FI-AUTH-001"].title
    assert auth["fullDescription"]["text"] == RULES["FI-AUTH-001"].meaning
    assert RULES["FI-AUTH-001"].remediation in auth["help"]["text"]
    assert RULES["FI-AUTH-001"].remediation in auth["help"]["markdown"]
    assert auth["defaultConfiguration"]["level"] == "error"
    assert auth["properties"]["security-severity"] == "9.5"
    assert "security" in auth["properties"]["tags"]
    assert {r["id"]: r["properties"]["security-severity"] for r in driver["rules"]} == {
        rid: SECURITY_SEVERITY[rule.severity] for rid, rule in RULES.items()
    }
    assert by_id["FI-PSA-003"]["defaultConfiguration"]["level"] == "note"
    assert by_id["FI-AUTH-002"]["defaultConfiguration"]["level"] == "warning"


def test_sarif_results_match_findings_with_cluster_object_locations():
    report = sample_report()
    run = sarif(report)["runs"][0]
    results = run["results"]
    rules = run["tool"]["driver"]["rules"]
    assert [(r["ruleId"], r["properties"].get("cluster"), r["properties"]["object"]) for r in results] == [
        (f.rule, f.cluster, f.object) for f in report.findings
    ]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    psa = [r for r in results if r["ruleId"] == "FI-PSA-002"]
    assert sorted(r["level"] for r in psa) == ["error", "warning", "warning"]
    logical = psa[0]["locations"][0]["logicalLocations"]
    assert {"name": "prod-use1", "fullyQualifiedName": "prod-use1", "kind": "cluster"} in logical
    assert {"name": "Namespace/payments", "fullyQualifiedName": "prod-use1/Namespace/payments", "kind": "resource"} in logical


def test_sarif_terraform_finding_points_at_template_line_others_at_intent():
    results = sarif(sample_report())["runs"][0]["results"]
    tf = next(r for r in results if r["ruleId"] == "FI-TF-001")
    physical = tf["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "infra/eks/prod-use1/namespaces.tf", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 12}
    unmatched = next(r for r in results if r["ruleId"] == "FI-TF-002")
    assert unmatched["locations"][0]["logicalLocations"] == [
        {"name": "aws_eks_access_entry.ops", "fullyQualifiedName": "aws_eks_access_entry.ops", "kind": "resource"}
    ]
    collect = next(r for r in results if r["ruleId"] == "FI-COLLECT-001")
    assert collect["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "intents/fleet.yaml"
    assert collect["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}


def test_sarif_absolute_intent_path_made_relative_to_base_dir():
    collect = [f for f in sample_report().findings if f.rule == "FI-COLLECT-001"]
    report = Report.build("/repo/intents/fleet.yaml", INTENT_SHA, [], collect)
    physical = sarif(report, base_dir="/repo")["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "intents/fleet.yaml"
    outside = sarif(report, base_dir="/elsewhere")["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert outside["artifactLocation"] == {"uri": "file:///repo/intents/fleet.yaml"}


def test_sarif_fingerprints_stable_when_actual_changes_and_unique_per_finding():
    report = sample_report()

    def fingerprints(changes) -> list[str]:
        changed = Report.build(report.intent_path, report.intent_sha256, report.clusters,
                               [dataclasses.replace(f, **changes(f)) for f in report.findings], report.generated_at)
        return [r["partialFingerprints"][FINGERPRINT_KEY] for r in sarif(changed)["runs"][0]["results"]]

    first = fingerprints(lambda f: {})
    assert len(set(first)) == len(first)  # enforce, audit and warn of one namespace stay three alerts
    assert fingerprints(lambda f: {"actual": "something else"}) == first
    reworded = fingerprints(lambda f: {"message": "reworded " + f.message})
    shared = [f.object == "Namespace/payments" and f.rule == "FI-PSA-002" for f in report.findings]
    assert [a == b for a, b in zip(first, reworded)] == [not s for s in shared]


def test_sarif_output_is_deterministic():
    assert format_report("sarif", sample_report()) == format_report("sarif", sample_report())


def test_sarif_vendored_schema_rejects_a_broken_log(validator):
    log = sarif(sample_report())
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(log)
