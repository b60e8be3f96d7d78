"""The installed console script works from any directory (templates shipped in the wheel)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE

SCRIPT = Path(sys.executable).parent / "fleet-intent"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, env=env)


@pytest.mark.skipif(not SCRIPT.exists(), reason="fleet-intent console script is not installed beside this Python")
def test_console_script_validates_from_another_directory(tmp_path):
    result = _run("validate", str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    assert _run("--version", cwd=tmp_path).stdout.startswith("fleet-intent")
