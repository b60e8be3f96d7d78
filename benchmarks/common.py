"""What the benchmarks share: the CLI they run, the fixed "today", and how they name the machine."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from pathlib import Path

NOW = dt.datetime(2026, 11, 26, tzinfo=dt.timezone.utc)  # exception expiry is judged against it
NOW_ARG = NOW.date().isoformat()


def cli() -> list[str]:
    """The CLI as installed next to this interpreter (else `python -m intent`)."""
    script = Path(sys.executable).with_name("fleet-intent")
    return [str(script)] if script.exists() else [sys.executable, "-m", "intent"]


def machine() -> str:
    """nproc, arch, CPU model, Python."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{len(os.sched_getaffinity(0))} CPUs (nproc), {platform.machine()}, {model}, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")
