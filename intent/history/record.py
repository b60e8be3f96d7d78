"""Recording one check run (a scan) into the history, in one transaction.

A finding is known by its fingerprint: sha256 of (rule, cluster, object, namespace), never
its message, expected/actual text or severity, which change while the finding stays the same
(DefectDojo's lesson: a volatile field in the hash breaks deduplication). Two findings of one
scan with one fingerprint (a namespace's enforce and audit levels both too weak) are one
history finding, at the worse severity.

State moves only on what the scan really saw. A finding opens at first sight; it resolves
only when a scan that read its cluster (status ok) no longer reports it; FI-TF-* findings
only when the scan checked Terraform templates again. Clusters the scan did not read, because
they were unreadable, in another `--shard` or outside `--cluster`, resolve nothing. A finding
seen again after resolving reopens (a new episode, `reopen_count` + 1). A scan older than what
the database already holds for a finding (shards committing out of order) never moves it back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from intent.check.findings import Finding
from intent.check.report import Report
from intent.history.store import History
from intent.history.timefmt import parse_stored, report_time, stored

TERRAFORM_RULE_PREFIX = "FI-TF-"
_CHUNK = 500  # parameters per IN (...) list: far below SQLite's and PostgreSQL's limits


def fingerprint(rule: str, cluster: str | None, object_: str, namespace: str | None) -> str:
    """The stable id of a finding: sha256 over its rule, cluster, object and namespace."""
    key = json.dumps([rule, cluster or "", object_, namespace or ""], separators=(",", ":"))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def finding_fingerprint(f: Finding) -> str:
    return fingerprint(f.rule, f.cluster, f.object, f.namespace)


@dataclass(frozen=True, slots=True)
class ExceptionNote:
    """An intent exception recorded with the findings of its namespace."""

    id: str
    expires: str  # ISO date


@dataclass(frozen=True, slots=True)
class ScanInput:
    """What one check run knows about its scope, besides its report."""

    report: Report
    planned: tuple[str, ...]  # clusters the run set out to check (after --cluster / --shard)
    terraform: bool = False  # --terraform templates were checked
    shard: str | None = None
    cluster_filter: bool = False
    # (cluster, namespace) -> exceptions of the plan touching it, expired ones first
    exceptions: Mapping[tuple[str, str], tuple[ExceptionNote, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What a recorded scan changed, and the history facts its report formats may show."""

    scan_id: str
    scanned_at: dt.datetime
    opened: int
    reopened: int
    resolved: int
    still_open: int
    opened_at: dict[str, dt.datetime]  # fingerprint of each reported finding -> start of its open episode
    last_read: dict[str, dt.datetime | None]  # each scanned cluster -> its latest successful read

    def prometheus_options(self, report: Report) -> dict:
        """`finding_ages` (oldest open age per (cluster, rule, severity, team) of the report)
        and `cluster_last_read` (Unix seconds, 0 for never) for the Prometheus format."""
        ages: dict[tuple[str, str, str, str], float] = {}
        for f in report.findings:
            opened = self.opened_at.get(finding_fingerprint(f))
            if opened is None:
                continue
            key = (f.cluster or "", f.rule, f.severity.value, f.team or "")
            age = max(0.0, (self.scanned_at - opened).total_seconds())
            ages[key] = max(age, ages.get(key, 0.0))
        reads = {name: (when.timestamp() if when else 0.0) for name, when in self.last_read.items()}
        return {"finding_ages": ages, "cluster_last_read": reads}


def plan_exceptions(fleet_plan) -> dict[tuple[str, str], tuple[ExceptionNote, ...]]:
    """(cluster, namespace) -> the exceptions of each cluster's plan naming that namespace,
    expired first (they explain a finding), then the applied ones by expiry."""
    out: dict[tuple[str, str], tuple[ExceptionNote, ...]] = {}
    for plan in fleet_plan.clusters:
        by_namespace: dict[str, list[ExceptionNote]] = {}
        for group in (plan.exceptions_expired, plan.exceptions_applied):
            for exc in sorted(group, key=lambda e: (e.expires, e.id)):
                by_namespace.setdefault(exc.namespace, []).append(ExceptionNote(exc.id, exc.expires.isoformat()))
        for namespace, notes in by_namespace.items():
            out[(plan.name, namespace)] = tuple(notes)
    return out


def _exception_for(f: Finding, exceptions: Mapping[tuple[str, str], tuple[ExceptionNote, ...]]) -> ExceptionNote | None:
    if not f.cluster or not f.namespace:
        return None
    notes = exceptions.get((f.cluster, f.namespace), ())
    if f.object.startswith("Exception/"):  # FI-EXC-001 names its exception
        wanted = f.object.split("/", 1)[1]
        return next((n for n in notes if n.id == wanted), None)
    return notes[0] if notes else None


def _merge(findings: Iterable[Finding]) -> dict[str, Finding]:
    """Findings by fingerprint; of two with one fingerprint, the worse (then the first) stays."""
    out: dict[str, Finding] = {}
    for f in findings:
        key = finding_fingerprint(f)
        if key not in out or f.severity.rank > out[key].severity.rank:
            out[key] = f
    return out


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def record_scan(history: History, scan: ScanInput, *, now: dt.datetime | None = None) -> RecordResult:
    """Record `scan` in one writer transaction: the scan, its clusters, and every finding's
    new state. Either all of it is committed or nothing is."""
    wall = now or dt.datetime.now(dt.timezone.utc)
    report = scan.report
    scanned = report_time(report.generated_at, wall).astimezone(dt.timezone.utc)
    at = stored(scanned)
    scan_id = uuid.uuid4().hex
    reported = _merge(report.findings)
    read_ok = {c.name for c in report.clusters if c.status == "ok"}
    planned = set(scan.planned)

    def in_scope(rule: str, cluster: str) -> bool:
        if rule.startswith(TERRAFORM_RULE_PREFIX):
            return scan.terraform and (cluster == "" or cluster in planned)
        return cluster in read_ok

    touched = read_ok | {f.cluster or "" for f in reported.values()}
    if scan.terraform:
        touched |= planned | {""}

    with history.write():
        history.execute(
            "INSERT INTO scans (id, scanned_at, recorded_at, intent_path, intent_sha256, shard, cluster_filter, "
            "terraform, findings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (scan_id, at, stored(wall), report.intent_path, report.intent_sha256, scan.shard,
             int(scan.cluster_filter), int(scan.terraform), len(reported)),
        )
        history.executemany(
            "INSERT INTO scan_clusters (scan_id, cluster, provider, status) VALUES (?, ?, ?, ?)",
            [(scan_id, c.name, c.provider, c.status) for c in report.clusters],
        )
        _record_clusters(history, report, at)
        existing: dict[str, tuple] = {}
        for chunk in _chunks(sorted(touched)):
            marks = ",".join("?" * len(chunk))
            for row in history.query(
                "SELECT fingerprint, rule, cluster, first_seen, opened_at, last_seen, resolved_at FROM findings "
                f"WHERE cluster IN ({marks})", chunk,
            ):
                existing[row[0]] = row

        inserts, episodes, updates, reopens, resolves = [], [], [], [], []
        opened_at: dict[str, dt.datetime] = {}
        for key, f in reported.items():
            exc = _exception_for(f, scan.exceptions)
            values = (f.severity.value, f.provider, f.team, f.owner, f.message,
                      exc.id if exc else None, exc.expires if exc else None)
            row = existing.get(key)
            if row is None:
                inserts.append((key, f.rule, f.cluster or "", f.namespace or "", f.object, *values,
                                at, at, at, scan_id, scan_id))
                episodes.append((key, scan_id, at))
                opened_at[key] = scanned
                continue
            _, _, _, _, row_opened, last_seen, resolved_at = row
            if resolved_at is None:
                if last_seen <= at:
                    updates.append((*values, at, scan_id, key))
                opened_at[key] = parse_stored(row_opened)
            elif resolved_at <= at:
                reopens.append((*values, at, at, scan_id, key))
                episodes.append((key, scan_id, at))
                opened_at[key] = scanned
            # else: resolved by a newer scan; this older sight changes nothing
        reported_keys = set(reported)
        for key, row in existing.items():
            _, rule, cluster, _, _, last_seen, resolved_at = row
            if resolved_at is None and key not in reported_keys and in_scope(rule, cluster) and last_seen <= at:
                resolves.append(key)

        history.executemany(
            "INSERT INTO findings (fingerprint, rule, cluster, namespace, object, severity, provider, team, owner, "
            "message, exception_id, exception_expires, first_seen, opened_at, last_seen, resolved_at, reopen_count, "
            "first_scan, last_scan, resolved_scan) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?, NULL)",
            inserts,
        )
        history.executemany(
            "UPDATE findings SET severity = ?, provider = ?, team = ?, owner = ?, message = ?, exception_id = ?, "
            "exception_expires = ?, last_seen = ?, last_scan = ? WHERE fingerprint = ?",
            updates,
        )
        history.executemany(
            "UPDATE findings SET severity = ?, provider = ?, team = ?, owner = ?, message = ?, exception_id = ?, "
            "exception_expires = ?, opened_at = ?, last_seen = ?, last_scan = ?, resolved_at = NULL, "
            "resolved_scan = NULL, reopen_count = reopen_count + 1 WHERE fingerprint = ?",
            reopens,
        )
        history.executemany(
            "INSERT INTO episodes (fingerprint, opened_scan, opened_at, resolved_scan, resolved_at) "
            "VALUES (?, ?, ?, NULL, NULL)",
            episodes,
        )
        history.executemany(
            "UPDATE findings SET resolved_at = ?, resolved_scan = ? WHERE fingerprint = ?",
            [(at, scan_id, key) for key in resolves],
        )
        history.executemany(
            "UPDATE episodes SET resolved_at = ?, resolved_scan = ? WHERE fingerprint = ? AND resolved_at IS NULL",
            [(at, scan_id, key) for key in resolves],
        )
        last_read = _last_reads(history, [c.name for c in report.clusters])

    return RecordResult(
        scan_id=scan_id,
        scanned_at=scanned,
        opened=len(inserts),
        reopened=len(reopens),
        resolved=len(resolves),
        still_open=len(updates),
        opened_at=opened_at,
        last_read=last_read,
    )


def _record_clusters(history: History, report: Report, at: str) -> None:
    """Upsert each scanned cluster's latest attempt and, when read, its latest read; an older
    scan committing late never moves either back."""
    history.executemany(
        "INSERT INTO clusters (name, provider, last_attempt_at, last_status, last_read_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET "
        "provider = excluded.provider, "
        "last_status = CASE WHEN excluded.last_attempt_at >= clusters.last_attempt_at "
        "THEN excluded.last_status ELSE clusters.last_status END, "
        "last_attempt_at = CASE WHEN excluded.last_attempt_at >= clusters.last_attempt_at "
        "THEN excluded.last_attempt_at ELSE clusters.last_attempt_at END, "
        "last_read_at = CASE WHEN clusters.last_read_at IS NULL OR excluded.last_read_at > clusters.last_read_at "
        "THEN COALESCE(excluded.last_read_at, clusters.last_read_at) ELSE clusters.last_read_at END",
        [(c.name, c.provider, at, c.status, at if c.status == "ok" else None) for c in report.clusters],
    )


def _last_reads(history: History, names: list[str]) -> dict[str, dt.datetime | None]:
    out: dict[str, dt.datetime | None] = {name: None for name in names}
    for chunk in _chunks(sorted(names)):
        marks = ",".join("?" * len(chunk))
        for name, read_at in history.query(f"SELECT name, last_read_at FROM clusters WHERE name IN ({marks})", chunk):
            out[name] = parse_stored(read_at) if read_at else None
    return out

