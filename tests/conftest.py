"""Shared test helpers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import os

import pytest
from hypothesis import settings

# CI replays the same examples on every run so a red build is always reproducible; property
# tests explore fresh random examples on developer machines (HYPOTHESIS_PROFILE=stress for more).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("stress", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

# The real-terraform fixtures (one `terraform init` per cluster) and the PostgreSQL server of the
# history tests are shared by every module using them.
pytest_plugins = ["real_terraform", "pg_server"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXAMPLE = FIXTURES / "example.yaml"
NOW = dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc)


@pytest.fixture
def example_path() -> Path:
    return EXAMPLE


@pytest.fixture
def loaded_example():
    from intent.load import load_intent

    return load_intent(str(EXAMPLE), NOW)


def invoke_cli(capsys, *argv) -> tuple[int, str, str]:
    """Run the real CLI entry point in-process, as the console script does; returns
    (exit code, stdout, stderr)."""
    import intent.cli.main

    with pytest.raises(SystemExit) as exit_info:
        intent.cli.main.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture
def run(capsys):
    """`invoke_cli` bound to this test's captured output."""
    return lambda *argv: invoke_cli(capsys, *argv)


# Whether the tests with the real terraform CLI and hashicorp/aws provider ran is said at the end
# of every run that collected them, so a CI log shows it (.ci/run runs the README's command as is).
_REAL_TERRAFORM: dict[str, dict[str, str]] = {"passed": {}, "failed": {}, "skipped": {}}


def pytest_runtest_logreport(report) -> None:
    if "real_terraform" not in report.keywords:
        return
    if report.failed:
        _REAL_TERRAFORM["failed"][report.nodeid] = ""
    elif report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _REAL_TERRAFORM["skipped"][report.nodeid] = reason.removeprefix("Skipped: ")
    elif report.when == "call":
        _REAL_TERRAFORM["passed"][report.nodeid] = ""


def pytest_terminal_summary(terminalreporter) -> None:
    counts = {outcome: len(ids) for outcome, ids in _REAL_TERRAFORM.items()}
    if not any(counts.values()):
        return
    passed = {n for n in _REAL_TERRAFORM["passed"] if n not in _REAL_TERRAFORM["failed"]}
    reasons = sorted(set(_REAL_TERRAFORM["skipped"].values()))
    line = (f"real_terraform tests (real terraform CLI + hashicorp/aws provider): {len(passed)} passed, "
            f"{counts['failed']} failed, {counts['skipped']} skipped")
    terminalreporter.write_line(line + (f" ({'; '.join(reasons)})" if reasons else ""))
