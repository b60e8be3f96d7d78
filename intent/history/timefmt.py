"""Times as the history stores them, durations as users write them, ages as people read them."""

from __future__ import annotations

import datetime as dt
import re

from intent.errors import UsageError

# Stored times: UTC, fixed width, so text order is time order in SQLite and PostgreSQL alike.
_STORED = "%Y-%m-%dT%H:%M:%S.%fZ"
_DURATION = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def stored(moment: dt.datetime) -> str:
    """`moment` as stored: ISO 8601 UTC with microseconds and `Z` (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime(_STORED)


def parse_stored(text: str) -> dt.datetime:
    """The aware UTC datetime of a stored time."""
    return dt.datetime.strptime(text, _STORED).replace(tzinfo=dt.timezone.utc)


def display(text: str | None) -> str | None:
    """A stored time as printed in reports: ISO 8601 with `Z`, microseconds only when set."""
    if text is None:
        return None
    return parse_stored(text).isoformat().replace("+00:00", "Z")


def report_time(generated_at: str | None, fallback: dt.datetime) -> dt.datetime:
    """The time of a check report (its `--now`), else `fallback`."""
    if generated_at:
        try:
            moment = dt.datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
        except ValueError:
            return fallback
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return fallback


def parse_duration(text: str, option: str = "--older-than") -> dt.timedelta:
    """A duration such as 90m, 24h, 7d, 2w or 1d12h (units s, m, h, d, w); UsageError otherwise."""
    value = (text or "").strip()
    parts = _DURATION.findall(value)
    if not value or not parts or "".join(n + u for n, u in parts) != value:
        raise UsageError(f"{option} {text!r}: not a duration; write a number and a unit s, m, h, d or w, e.g. 24h or 7d")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise UsageError(f"{option} {text!r}: the duration must be longer than zero, e.g. 24h")
    if seconds > 100 * 365 * 86400:
        raise UsageError(f"{option} {text!r}: longer than a century; give e.g. 30d")
    return dt.timedelta(seconds=seconds)


def human_age(seconds: float | None) -> str:
    """`3d 4h`, `2h 5m`, `40s`: an age to read at a glance ("-" when unknown)."""
    if seconds is None:
        return "-"
    left = max(0, int(seconds))
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
