"""`fleet-intent explain RULE_ID`: what a rule means and how to fix its findings (SPEC §6, §8)."""

from __future__ import annotations

import textwrap

import click

from intent.errors import UsageError
from intent.check.findings import FI_AUTH_004, FI_PSA_002, RULES, Rule

# Rules whose severity depends on the finding (SPEC §8); the catalogue holds the higher one.
SEVERITY_NOTES = {
    FI_PSA_002: "high for enforce, medium for audit and warn",
    FI_AUTH_004: "high when broader than intended, medium when narrower",
}


def find_rule(rule_id: str) -> Rule:
    """The catalogue entry for `rule_id` (any case, "FI-" optional); UsageError listing valid ids."""
    key = rule_id.strip().upper()
    if not key.startswith("FI-"):
        key = "FI-" + key
    try:
        return RULES[key]
    except KeyError:
        raise UsageError(f"unknown rule {rule_id!r} (rules: {', '.join(RULES)})") from None


def describe(rule: Rule, width: int = 88) -> str:
    """The text `explain` prints: id and title, severity, meaning, remediation."""
    severity = SEVERITY_NOTES.get(rule.id, rule.severity.value)

    def block(label: str, text: str) -> str:
        return f"{label}:\n" + textwrap.fill(text, width=width, initial_indent="  ", subsequent_indent="  ")

    return "\n".join(
        [f"{rule.id}: {rule.title}", f"severity: {severity}", block("meaning", rule.meaning), block("remediation", rule.remediation)]
    )


@click.command("explain", short_help="Explain a rule: severity, meaning, remediation.")
@click.argument("rule_id", metavar="RULE_ID")
def command(rule_id: str) -> None:
    """Explain RULE_ID (e.g. FI-PSA-002): title, severity, meaning and remediation."""
    click.echo(describe(find_rule(rule_id)))
