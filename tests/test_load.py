"""The loader and validator: the example is valid, each bad fixture fails at its line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jsonschema
import pytest
import yaml

from conftest import EXAMPLE, FIXTURES, NOW
from intent.errors import IntentError
from intent.load import parse_intent
from intent.model import json_schema

BAD = FIXTURES / "bad"

# fixture -> (line, col, path, words the message must contain)
EXPECTED = {
    "duplicate-key": (14, 9, "teams[0].namespaces[0].name", "duplicate key 'name'"),
    "alias": (11, 13, "<document>", "anchors"),
    "merge-key": (29, 5, "clusters[0]", "merge keys"),
    "unsafe-tag": (5, 17, "metadata.organisation", "python/object/apply"),
    "unknown-field": (28, 5, "clusters[0].kubContext", "did you mean 'kubeContext'"),
    "bad-provider": (24, 15, "clusters[0].provider", "did you mean 'eks'"),
    "assumed-role": (16, 15, "teams[0].access[0].aws[0]", "assumed-role"),
    "bad-account-id": (25, 16, "clusters[0].accountId", "quote it"),
    "unknown-team": (28, 13, "clusters[0].teams[0]", "did you mean 'payments'"),
    "namespace-two-teams": (25, 15, "teams[1].namespaces[0].name", "exactly one team"),
    "duplicate-cluster": (29, 11, "clusters[1].name", "already declared"),
    "workload-identity-namespace": (19, 20, "teams[0].workloadIdentities[0].namespace", "not one of team 'payments'"),
    "override-weaker": (14, 32, "teams[0].namespaces[0].podSecurity.enforce", "weaker than the org baseline"),
    "config-map-without-node-roles": (27, 25, "clusters[0].authenticationMode", "nodeRoleArns"),
    "gke-group-without-security-group": (29, 5, "clusters[1]", "securityGroup"),
    "aks-identity-without-client-id": (23, 11, "teams[0].workloadIdentities[0].azure", "clientId"),
    "exception-unknown-namespace": (24, 16, "exceptions[0].namespace", "no team declares namespace 'paymnts'"),
    "exception-unknown-cluster": (25, 16, "exceptions[0].clusters[0]", "no cluster named 'prod-usw2'"),
    "exception-without-expiry": (23, 5, "exceptions[0].expires", "missing"),
    "duplicate-principal": (16, 60, "teams[0].access[0].aws[1]", "listed twice"),
    "star-with-names": (28, 12, "clusters[0].teams", "'*'"),
    "bad-version": (9, 12, "podSecurity.version", "v1.<minor>"),
    "syntax-error": (29, 1, "<document>", "YAML syntax error"),
}


def test_bad_fixtures_all_have_an_expectation():
    assert {p.stem for p in BAD.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_fixture_fails_at_its_line(name):
    line, col, path, words = EXPECTED[name]
    with pytest.raises(IntentError) as caught:
        parse_intent((BAD / f"{name}.yaml").read_bytes(), f"{name}.yaml", NOW)
    rendered = [str(p) for p in caught.value.problems]
    assert any(r.startswith(f"{name}.yaml:{line}:{col}: {path}: ") and words in r for r in rendered), rendered


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_fixture_cli_exit_2_one_line_no_traceback(name, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "intent", "validate", str(BAD / f"{name}.yaml")],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(FIXTURES.parent)},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(str(BAD / f"{name}.yaml") + ":")


def test_every_problem_is_reported_at_once():
    data = yaml.safe_load(EXAMPLE.read_text())
    data["metadata"]["organisation"] = "Acme Corp"
    data["clusters"][0]["provider"] = "ekss"
    data["teams"][0]["ownrs"] = []
    with pytest.raises(IntentError) as caught:
        parse_intent(yaml.safe_dump(data, sort_keys=False).encode(), "x.yaml", NOW)
    paths = {p.path for p in caught.value.problems}
    assert {"metadata.organisation", "clusters[0].provider", "teams[0].ownrs"} <= paths


def test_cross_reference_problems_are_all_reported():
    data = yaml.safe_load(EXAMPLE.read_text())
    data["clusters"][0]["teams"] = ["nope"]
    data["clusters"][3]["securityGroup"] = None
    del data["clusters"][3]["securityGroup"]
    data["exceptions"][0]["namespace"] = "ghost"
    with pytest.raises(IntentError) as caught:
        parse_intent(yaml.safe_dump(data, sort_keys=False).encode(), "x.yaml", NOW)
    paths = {p.path for p in caught.value.problems}
    assert {"clusters[0].teams[0]", "clusters[3]", "exceptions[0].namespace"} <= paths


def test_cross_reference_problems_come_with_structural_ones():
    """SPEC §11: one run reports a malformed field and a dangling reference together, each at
    its own line, and indexes after a left-out entry still point at the right place."""
    data = yaml.safe_load(EXAMPLE.read_text())
    data["teams"][0]["owners"] = ["not an e-mail"]  # structural: team payments is left out
    data["clusters"][1]["teams"] = ["*"]
    data["clusters"][2]["teams"] = ["data", "nope"]  # dangling, in an entry after a good one
    data["exceptions"][0]["namespace"] = "ghost"  # dangling
    data["clusters"][4]["region"] = "mars-1"  # structural in another list
    text = yaml.safe_dump(data, sort_keys=False)
    with pytest.raises(IntentError) as caught:
        parse_intent(text.encode(), "x.yaml", NOW)
    by_path = {p.path: p for p in caught.value.problems}
    assert "teams[0].owners[0]" in by_path
    assert "clusters[2].teams[1]" in by_path and "'nope'" in by_path["clusters[2].teams[1]"].message
    assert "exceptions[0].namespace" in by_path
    # prod-use1 (clusters[0]) still names payments, the team left out: its structural error
    # explains that, so no second "unknown team" problem is made up for it.
    assert not [p for p in caught.value.problems if "'payments'" in p.message]
    line_of = {i + 1: line for i, line in enumerate(text.splitlines())}
    assert "nope" in line_of[by_path["clusters[2].teams[1]"].line]
    assert "ghost" in line_of[by_path["exceptions[0].namespace"].line]


def test_structural_problem_outside_any_entry_reports_only_structure():
    data = yaml.safe_load(EXAMPLE.read_text())
    data["podSecurity"]["enforce"] = "strict"
    data["clusters"][0]["teams"] = ["nope"]
    with pytest.raises(IntentError) as caught:
        parse_intent(yaml.safe_dump(data, sort_keys=False).encode(), "x.yaml", NOW)
    assert [p.path for p in caught.value.problems] == ["podSecurity.enforce"]


def test_example_is_valid_and_expired_exception_only_warns():
    loaded = parse_intent(EXAMPLE.read_bytes(), "example.yaml", NOW)
    assert loaded.warnings == ()
    later = NOW.replace(year=2030)
    loaded = parse_intent(EXAMPLE.read_bytes(), "example.yaml", later)
    assert [w.path for w in loaded.warnings] == ["exceptions[0].expires"]
    assert "expired" in str(loaded.warnings[0])


def test_oversized_file_is_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (10 * 1024 * 1024 + 1))
    from intent.load import load_intent

    with pytest.raises(IntentError, match="larger than"):
        load_intent(str(big), NOW)


def test_schema_validates_the_example():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(EXAMPLE.read_text())
    data["exceptions"][0]["expires"] = str(data["exceptions"][0]["expires"])
    jsonschema.validate(data, schema)
    bad = dict(data, kind="Other")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_cli_validate_and_schema_from_another_directory(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(FIXTURES.parent)}
    ok = subprocess.run([sys.executable, "-m", "intent", "validate", str(EXAMPLE)], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "valid" in ok.stdout
    schema = subprocess.run([sys.executable, "-m", "intent", "schema"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert schema.returncode == 0
    assert json.loads(schema.stdout)["properties"]["apiVersion"]["const"] == "fleet-intent/v1"


def test_cli_missing_file_and_bad_now(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(FIXTURES.parent)}
    missing = subprocess.run([sys.executable, "-m", "intent", "validate", "nope.yaml"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    bad_now = subprocess.run([sys.executable, "-m", "intent", "validate", str(EXAMPLE), "--now", "tomorrow"], capture_output=True, text=True, env=env)
    assert bad_now.returncode == 2 and "--now" in bad_now.stderr
