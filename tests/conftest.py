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
