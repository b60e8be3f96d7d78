"""Report formats. Each takes a `Report` and returns text; none opens files.

May import: `intent.check.report` and `intent.check.findings`, and the `intent` root.
"""

from __future__ import annotations

import importlib

from intent.errors import UsageError
from intent.check.report import Report

# format name -> "module:function"; imported only when that format is asked for.
FORMATS: dict[str, str] = {
    "table": "intent.check.formats.table:format_table",
    "json": "intent.check.formats.jsonfmt:format_json",
    "sarif": "intent.check.formats.sarif:format_sarif",
    "junit": "intent.check.formats.junit:format_junit",
    "html": "intent.check.formats.html:format_html",
    "prometheus": "intent.check.formats.prometheus:format_prometheus",
}


def format_report(name: str, report: Report, **options) -> str:
    """Render `report` in format `name`."""
    try:
        target = FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown format {name!r} (formats: {', '.join(FORMATS)})") from None
    module_name, function = target.split(":")
    return getattr(importlib.import_module(module_name), function)(report, **options)
