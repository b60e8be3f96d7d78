"""Error lines that quote user input quote at most a short prefix of it (R19f)."""

from __future__ import annotations

import pytest

from conftest import EXAMPLE, NOW
from intent.errors import IntentError
from intent.load import parse_intent

HUGE = "A" * 5_000_000


def _problems(text: str) -> list[str]:
    with pytest.raises(IntentError) as caught:
        parse_intent(text.encode(), "big.yaml", NOW)
    return [str(p) for p in caught.value.problems]


EXAMPLE_TEXT = EXAMPLE.read_text()
# Each replacement puts the 5 MB text somewhere a message would quote it (keys longer than
# 1024 characters must be explicit `? key` keys in YAML).
PLACES = {
    "organisation": ("organisation: acme", f"organisation: {HUGE}"),
    "unknown field": ("  owner: platform-security@acme.example", f"  ? {HUGE}\n  : x"),
    "literal": ("    authorization: azure-rbac", f"    authorization: {HUGE}"),
    "provider": ("    provider: gke", f"    provider: {HUGE}"),
    "principal": ("role/platform-admin]", f"role/{HUGE}]"),
    "label key": ("labels: {tier: frontend}", f"labels: {{? {HUGE} : frontend}}"),
    "bad scalar": ("expires: 2027-06-30", f"expires: !!int {HUGE}"),
    "duplicate key": ("labels: {tier: frontend}", f"labels: {{? {HUGE} : a, ? {HUGE} : b}}"),
    "team name": ("teams: [payments, checkout]", f"teams: [payments, {HUGE.lower()}]"),
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_5mb_value_is_quoted_shortened_with_its_length(place):
    old, new = PLACES[place]
    assert old in EXAMPLE_TEXT
    rendered = _problems(EXAMPLE_TEXT.replace(old, new, 1))
    assert rendered
    assert all(len(line) < 1000 for line in rendered), [len(r) for r in rendered]
    assert any("characters)" in line for line in rendered), rendered


def test_cli_stderr_stays_small_for_a_5mb_organisation(run, tmp_path):
    intent = tmp_path / "big.yaml"
    intent.write_text(EXAMPLE_TEXT.replace("organisation: acme", f"organisation: {HUGE}"))
    code, out, err = run("validate", intent)
    assert code == 2
    assert len(err) < 2000, len(err)
    assert "metadata.organisation" in err and "(5000000 characters)" in err


def test_a_key_holding_a_newline_or_escape_stays_on_one_line(tmp_path, run):
    intent = tmp_path / "nl.yaml"
    intent.write_text('apiVersion: fleet-intent/v1\n"a\\nb\\u001b[31m": x\n', encoding="utf-8")
    code, _, err = run("validate", intent)
    assert code == 2
    lines = err.strip().splitlines()
    assert any("unknown field" in line for line in lines)
    assert all(line.startswith(str(intent)) or line.endswith("problem(s) found") for line in lines), err
    assert "\x1b" not in err
