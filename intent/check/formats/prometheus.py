"""Prometheus text exposition (format 0.0.4) for dashboards and alerts (SPEC §8)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from intent.check.report import Report


def format_prometheus(
    report: Report,
    *,
    finding_ages: Mapping[tuple[str, str, str, str], float] | None = None,
    cluster_last_read: Mapping[str, float] | None = None,
    **_options: Any,
) -> str:
    """Return `report` as Prometheus text exposition.

    Meant for node-exporter's textfile collector or a Pushgateway. Series:
    `fleet_intent_findings{cluster,rule,severity,team}` (a gauge: findings now, not a
    running total), `fleet_intent_cluster_readable{cluster}` (1 read, 0 unreadable) and,
    when the report carries its time, `fleet_intent_check_timestamp_seconds`. A label
    with no value (no cluster for an unmatched Terraform template, no team for a
    cluster-wide object) is the empty string, as Prometheus treats a missing label.
    Output is sorted so that two runs over the same state are byte-identical.

    With a findings history (`check --history`, intent/history) two more:
    `fleet_intent_finding_age_seconds{cluster,rule,severity,team}`, how long the oldest open
    finding of that group has been open (same labels as `fleet_intent_findings`, so the
    series count stays bounded by it), and
    `fleet_intent_cluster_last_read_timestamp_seconds{cluster}`, the latest successful read
    of the cluster in Unix seconds (0: never read), the heartbeat a staleness alert watches.
    """
    counts = Counter((f.cluster or "", f.rule, f.severity.value, f.team or "") for f in report.findings)
    lines = [
        "# HELP fleet_intent_findings Findings of the last fleet-intent check, by cluster, rule, severity and owning team.",
        "# TYPE fleet_intent_findings gauge",
    ]
    for (cluster, rule, severity, team), count in sorted(counts.items()):
        labels = _labels(cluster=cluster, rule=rule, severity=severity, team=team)
        lines.append(f"fleet_intent_findings{labels} {count}")
    lines += [
        "# HELP fleet_intent_cluster_readable Whether the last fleet-intent check could read the cluster (1) or not (0).",
        "# TYPE fleet_intent_cluster_readable gauge",
    ]
    for cluster in sorted(report.clusters, key=lambda c: c.name):
        value = 1 if cluster.status == "ok" else 0
        lines.append(f"fleet_intent_cluster_readable{_labels(cluster=cluster.name)} {value}")
    if finding_ages is not None:
        lines += [
            "# HELP fleet_intent_finding_age_seconds Seconds the oldest open finding of this cluster, rule, severity "
            "and team has been open, from the findings history.",
            "# TYPE fleet_intent_finding_age_seconds gauge",
        ]
        for (cluster, rule, severity, team), age in sorted(finding_ages.items()):
            labels = _labels(cluster=cluster, rule=rule, severity=severity, team=team)
            lines.append(f"fleet_intent_finding_age_seconds{labels} {_number(round(age, 3))}")
    if cluster_last_read is not None:
        lines += [
            "# HELP fleet_intent_cluster_last_read_timestamp_seconds When the cluster was last read successfully, "
            "in Unix seconds (0: never), from the findings history.",
            "# TYPE fleet_intent_cluster_last_read_timestamp_seconds gauge",
        ]
        for cluster, when in sorted(cluster_last_read.items()):
            lines.append(f"fleet_intent_cluster_last_read_timestamp_seconds{_labels(cluster=cluster)} {_number(round(when, 3))}")
    timestamp = _epoch(report.generated_at)
    if timestamp is not None:
        lines += [
            "# HELP fleet_intent_check_timestamp_seconds When the fleet-intent check ran, in Unix seconds.",
            "# TYPE fleet_intent_check_timestamp_seconds gauge",
            f"fleet_intent_check_timestamp_seconds {_number(timestamp)}",
        ]
    return "\n".join(lines) + "\n"


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{key}="{_escape_label(value)}"' for key, value in labels.items()) + "}"


def _escape_label(value: str) -> str:
    # The exposition format escapes exactly these three in label values.
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _epoch(text: str | None) -> float | None:
    """Unix seconds of an ISO date or datetime (naive means UTC); None when absent or unparsable."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
