"""Report formats. Each takes a `Report` and returns text; none opens files."""

from __future__ import annotations

import importlib

from ..errors import UsageError
from ..report import Report

# format name -> "module:function"; imported only when that format is asked for.
FORMATS: dict[str, str] = {
    "table": "intent.reports.table:format_table",
    "json": "intent.reports.jsonfmt:format_json",
    "sarif": "intent.reports.sarif:format_sarif",
    "junit": "intent.reports.junit:format_junit",
    "html": "intent.reports.html:format_html",
    "prometheus": "intent.reports.prometheus:format_prometheus",
}


def format_report(name: str, report: Report, **options) -> str:
    """Render `report` in format `name`."""
    try:
        target = FORMATS[name]
    except KeyError:
        raise UsageError(f"unknown format {name!r} (formats: {', '.join(FORMATS)})") from None
    module_name, function = target.split(":")
    return getattr(importlib.import_module(module_name), function)(report, **options)
