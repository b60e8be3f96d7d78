"""Shared test helpers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

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
