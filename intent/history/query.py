"""Reading the history back: the summary (open and resolved findings, time to remediation),
the trend (open findings after each scan) and the heartbeat (clusters not read lately).

Each reads one consistent snapshot of the database and returns plain data; render.py and
chart.py format it. Times leave as ISO 8601 UTC strings with `Z`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from statistics import fmean
from typing import Any

from intent.check.findings import Severity
from intent.history.store import History
from intent.history.timefmt import display, parse_stored

NO_TEAM = "(cluster-wide)"  # as in the HTML report: team names are DNS labels, so this never clashes
NO_CLUSTER = "(every cluster)"  # unmatched Terraform templates hold for the whole fleet
TREND_BY = ("team", "rule", "cluster", "severity")

_FINDING_COLUMNS = (
    "fingerprint", "rule", "cluster", "namespace", "object", "provider", "severity", "team", "owner",
    "exception_id", "exception_expires", "first_seen", "opened_at", "last_seen", "resolved_at", "reopen_count",
)


def _seconds(start: str, end: dt.datetime | str) -> float:
    finish = parse_stored(end) if isinstance(end, str) else end
    return max(0.0, (finish - parse_stored(start)).total_seconds())


def _item(row: tuple, now: dt.datetime) -> dict[str, Any]:
    data = dict(zip(_FINDING_COLUMNS, row))
    exception = None
    if data["exception_id"]:
        exception = {"id": data["exception_id"], "expires": data["exception_expires"]}
    item = {
        "fingerprint": data["fingerprint"],
        "rule": data["rule"],
        "cluster": data["cluster"] or None,
        "namespace": data["namespace"] or None,
        "object": data["object"],
        "provider": data["provider"],
        "severity": data["severity"],
        "team": data["team"],
        "owner": data["owner"],
        "first_seen": display(data["first_seen"]),
        "opened_at": display(data["opened_at"]),
        "last_seen": display(data["last_seen"]),
        "resolved_at": display(data["resolved_at"]),
        "reopen_count": int(data["reopen_count"]),
        "exception": exception,
    }
    if data["resolved_at"] is None:
        item["age_seconds"] = _seconds(data["opened_at"], now)
    return item


def _severity_rank(name: str) -> int:
    try:
        return Severity(name).rank
    except ValueError:
        return -1


def summary(history: History, now: dt.datetime) -> dict[str, Any]:
    """`{"scans", "last_scan", "open", "resolved", "mttr_seconds": {"team", "rule"}}`.

    `open` is worst first, then oldest first; `resolved` most recent first. Time to remediation
    is the mean length of resolved episodes (opened -> resolved; a reopened finding counts each
    stretch), per team (cluster-wide findings under "(cluster-wide)") and per rule.
    """
    with history.read():
        scans, last_scan = history.query("SELECT COUNT(*), MAX(scanned_at) FROM scans")[0]
        rows = history.query(f"SELECT {', '.join(_FINDING_COLUMNS)} FROM findings ORDER BY cluster, rule, object, namespace")
        episodes = history.query(
            "SELECT f.team, f.rule, e.opened_at, e.resolved_at FROM episodes e "
            "JOIN findings f ON f.fingerprint = e.fingerprint WHERE e.resolved_at IS NOT NULL"
        )
    items = [_item(row, now) for row in rows]
    open_items = sorted((i for i in items if i["resolved_at"] is None),
                        key=lambda i: (-_severity_rank(i["severity"]), -i["age_seconds"], i["cluster"] or "", i["rule"], i["object"]))
    resolved = sorted((i for i in items if i["resolved_at"] is not None),
                      key=lambda i: (i["resolved_at"], i["cluster"] or "", i["rule"], i["object"]), reverse=True)
    by_team: dict[str, list[float]] = defaultdict(list)
    by_rule: dict[str, list[float]] = defaultdict(list)
    for team, rule, opened, closed in episodes:
        length = _seconds(opened, closed)
        by_team[team or NO_TEAM].append(length)
        by_rule[rule].append(length)
    return {
        "scans": int(scans),
        "last_scan": display(last_scan),
        "now": now.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
        "open": open_items,
        "resolved": resolved,
        "mttr_seconds": {
            "team": {k: round(fmean(v), 3) for k, v in sorted(by_team.items())},
            "rule": {k: round(fmean(v), 3) for k, v in sorted(by_rule.items())},
        },
    }


def _label(by: str, value: str | None) -> str:
    if by == "team":
        return value or NO_TEAM
    if by == "cluster":
        return value or NO_CLUSTER
    return value or "-"


def trend(history: History, by: str | None = None) -> dict[str, Any]:
    """Open findings across the fleet right after each scan, oldest scan first:
    `{"by", "series", "points": [{"scan", "at", "shard", "open", "counts": {series: n}}]}`.

    Built from the episodes, so a point counts every finding open at that moment, also on
    clusters that scan did not read. Series take each finding's latest team/severity.
    """
    if by is not None and by not in TREND_BY:
        raise ValueError(f"unknown trend grouping {by!r}")
    column = by or "rule"
    with history.read():
        scans = history.query("SELECT id, scanned_at, shard FROM scans ORDER BY scanned_at, recorded_at, id")
        episodes = history.query(
            f"SELECT e.opened_at, e.resolved_at, f.{column} FROM episodes e JOIN findings f ON f.fingerprint = e.fingerprint"
        )
    events: list[tuple[str, int, str]] = []
    for opened, closed, value in episodes:
        key = _label(column, value)
        events.append((opened, 1, key))
        if closed is not None:
            events.append((closed, -1, key))
    events.sort(key=lambda e: (e[0], e[1]))
    counts: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    points, position, total = [], 0, 0
    for scan_id, at, shard in scans:
        while position < len(events) and events[position][0] <= at:
            _, delta, key = events[position]
            counts[key] += delta
            total += delta
            if counts[key] > 0:
                seen.add(key)
            position += 1
        point = {"scan": scan_id, "at": display(at), "shard": shard, "open": total}
        if by is not None:
            point["counts"] = {k: n for k, n in sorted(counts.items()) if n}
        points.append(point)
    if by == "severity":
        series = sorted(seen, key=lambda s: (-_severity_rank(s), s))
    else:
        series = sorted(seen)
    return {"by": by, "series": series if by is not None else [], "points": points}


def stale(history: History, now: dt.datetime, older_than: dt.timedelta) -> dict[str, Any]:
    """Clusters whose latest successful read is older than `older_than` before `now`, or that
    were never read: `{"now", "older_than_seconds", "clusters": N, "stale": [...]}`."""
    cutoff = now - older_than
    with history.read():
        rows = history.query("SELECT name, provider, last_read_at, last_attempt_at, last_status FROM clusters ORDER BY name")
    out = []
    for name, provider, read_at, attempt_at, status in rows:
        if read_at is not None and parse_stored(read_at) >= cutoff:
            continue
        out.append({
            "cluster": name,
            "provider": provider,
            "last_read_at": display(read_at),
            "last_read_age_seconds": _seconds(read_at, now) if read_at else None,
            "last_attempt_at": display(attempt_at),
            "last_status": status,
        })
    return {
        "now": now.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
        "older_than_seconds": older_than.total_seconds(),
        "clusters": len(rows),
        "stale": out,
    }
