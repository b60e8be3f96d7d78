"""`fleet-intent explain RULE_ID`."""

from __future__ import annotations

import pytest

from intent.check.findings import RULES


def test_explain_known_rule_prints_title_severity_meaning_remediation(run):
    code, out, err = run("explain", "FI-AUTH-001")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "FI-AUTH-001: Unauthorised cluster-admin"
    assert lines[1] == "severity: critical"
    flat = " ".join(out.split())
    assert RULES["FI-AUTH-001"].meaning in flat
    assert RULES["FI-AUTH-001"].remediation in flat


@pytest.mark.parametrize("spelling", ["fi-psa-002", "Fi-Psa-002", "PSA-002", " FI-PSA-002 "])
def test_explain_id_case_insensitive(run, spelling):
    code, out, _ = run("explain", spelling)
    assert code == 0
    assert out.startswith("FI-PSA-002: PSA level weaker than intended\n")
    assert "severity: high for enforce, medium for audit and warn" in out


def test_explain_unknown_rule_exits_2_listing_valid_ids(run):
    code, out, err = run("explain", "FI-NOPE-001")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "unknown rule 'FI-NOPE-001'" in err
    assert all(rule_id in err for rule_id in RULES)


def test_explain_every_catalogue_rule(run):
    for rule_id, rule in RULES.items():
        code, out, _ = run("explain", rule_id)
        assert code == 0 and out.startswith(f"{rule_id}: {rule.title}\n")
