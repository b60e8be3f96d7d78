"""Text and JSON forms of the history's summary, trend and stale lists.

Every value printed to a terminal passes `_plain`: the database is input like any other (a
shared PostgreSQL may hold rows no fleet-intent wrote), so control and format characters
(escape sequences, bidirectional overrides) are shown as `?`, never sent to the terminal.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from typing import Any

from intent.check.findings import Severity
from intent.history.query import NO_TEAM
from intent.history.timefmt import human_age

OPEN_LISTED = 50  # open findings listed by the table (the JSON has them all)
SERIES_IN_TABLE = 8


def _plain(value: Any) -> str:
    text = "-" if value is None else str(value)
    return "".join("?" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def _table(headers: list[str], rows: list[list[Any]], right: set[int] = frozenset()) -> list[str]:
    cells = [[_plain(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        parts = [v.rjust(widths[i]) if i in right else v.ljust(widths[i]) for i, v in enumerate(values)]
        return "  ".join(parts).rstrip()

    return [line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells]


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def summary_table(data: dict[str, Any]) -> str:
    """Open findings by team and severity with the oldest age, time to remediation per team
    and rule, then the open findings themselves, worst and oldest first."""
    severities = [s.value for s in Severity]
    out = [
        f"history: {data['scans']} scan(s), last {_plain(data['last_scan'])}; "
        f"{len(data['open'])} open, {len(data['resolved'])} resolved finding(s) as of {data['now']}",
    ]
    teams: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(severities, 0))
    oldest: dict[str, float] = {}
    for item in data["open"]:
        team = item["team"] or NO_TEAM
        if item["severity"] in teams[team]:
            teams[team][item["severity"]] += 1
        oldest[team] = max(oldest.get(team, 0.0), item["age_seconds"])
    mttr_team = data["mttr_seconds"]["team"]
    if teams or mttr_team:
        out += ["", "open findings by team and severity; time to remediation (mean of resolved)"]
        names = sorted(set(teams) | set(mttr_team))
        rows = [[name, *[teams[name][s] if name in teams else 0 for s in severities],
                 human_age(oldest.get(name)), human_age(mttr_team.get(name))] for name in names]
        out += _table(["team", *severities, "oldest open", "MTTR"], rows, right=set(range(1, len(severities) + 1)))
    mttr_rule = data["mttr_seconds"]["rule"]
    if mttr_rule:
        out += ["", "time to remediation by rule"]
        out += _table(["rule", "MTTR"], [[rule, human_age(seconds)] for rule, seconds in mttr_rule.items()])
    if data["open"]:
        listed = data["open"][:OPEN_LISTED]
        more = len(data["open"]) - len(listed)
        out += ["", "open findings, worst then oldest" + (f" (first {len(listed)}; --format json lists all)" if more else "")]
        rows = [[i["severity"], human_age(i["age_seconds"]), i["cluster"], i["rule"], i["object"],
                 i["team"] or NO_TEAM, (i["exception"] or {}).get("id"), i["reopen_count"] or ""] for i in listed]
        out += _table(["severity", "age", "cluster", "rule", "object", "team", "exception", "reopened"], rows)
    else:
        out += ["", "no open findings"]
    return "\n".join(out) + "\n"


def trend_table(data: dict[str, Any]) -> str:
    """One row per scan: its time, shard, open findings in all and per series (the first few)."""
    series = data["series"][:SERIES_IN_TABLE]
    rest = data["series"][SERIES_IN_TABLE:]
    headers = ["scanned at", "shard", "open", *series] + ([f"other ({len(rest)})"] if rest else [])
    rows = []
    for point in data["points"]:
        counts = point.get("counts", {})
        row = [point["at"], point["shard"] or "", point["open"], *[counts.get(s, 0) for s in series]]
        if rest:
            row.append(sum(counts.get(s, 0) for s in rest))
        rows.append(row)
    if not rows:
        return "no scans recorded\n"
    title = f"open findings after each scan{' by ' + data['by'] if data['by'] else ''}"
    return "\n".join([title, *_table(headers, rows, right=set(range(2, len(headers))))]) + "\n"


def stale_table(data: dict[str, Any]) -> str:
    """The stale clusters, or one line saying every cluster was read in time."""
    limit = human_age(data["older_than_seconds"])
    if not data["stale"]:
        return f"all {data['clusters']} cluster(s) read within {limit} of {data['now']}\n"
    rows = [[s["cluster"], s["provider"], s["last_read_at"] or "never", human_age(s["last_read_age_seconds"]),
             s["last_attempt_at"], s["last_status"]] for s in data["stale"]]
    head = f"{len(data['stale'])} of {data['clusters']} cluster(s) not read successfully within {limit} of {data['now']}"
    return "\n".join([head, *_table(["cluster", "provider", "last read", "age", "last attempt", "status"], rows)]) + "\n"
