"""Run the CLI in a child process under a hard time and memory bound.

For inputs that used to hang (a FIFO) or to read without limit (a link to /dev/zero): if the
bound is ever lost again, the test fails on the timeout or the memory limit instead of hanging
the suite or exhausting the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30  # seconds; a healthy run takes well under one
MEMORY = 1024 * 1024 * 1024  # address space of the child, bytes


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_bounded(*argv) -> subprocess.CompletedProcess:
    """`python -m intent ARGV` with at most TIMEOUT seconds and MEMORY bytes of address space."""
    env = {k: v for k, v in os.environ.items() if k != "FLEET_INTENT_AUDIT_LOG"}
    return subprocess.run(
        [sys.executable, "-m", "intent", *map(str, argv)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory,
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The single stderr line of a refused run (asserting it is one line and no traceback)."""
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]
