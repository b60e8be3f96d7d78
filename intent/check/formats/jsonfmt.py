"""The JSON report, exactly the shape of SPEC §8."""

from __future__ import annotations

import json

from intent.check.report import Report


def format_json(report: Report, **_options) -> str:
    """SPEC §8 JSON (version, intent, clusters, findings), indented, newline-terminated."""
    data = report.to_dict()
    # The contract fixes the top-level keys; the run time stays out so reports diff cleanly.
    data.pop("generatedAt", None)
    return json.dumps(data, indent=2) + "\n"
