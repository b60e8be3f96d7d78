"""`check --history DB` on SQLite and on a real PostgreSQL server: the schema from empty,
repeated scans, scope-aware resolution (unreadable clusters, --cluster, --shard, Terraform),
reopening, exceptions, and the summary, trend and stale views read back (SPEC §14)."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLE, FIXTURES, invoke_cli
from history_support import check, db, history_json, make_snapshot, rows  # noqa: F401 - db is a fixture

DAY = 86400
PAYMENTS_PSA = ("FI-PSA-002", "Namespace/payments")


def _open(summary: dict) -> dict[tuple, dict]:
    return {(i["cluster"], i["rule"], i["object"]): i for i in summary["open"]}


def _resolved(summary: dict) -> dict[tuple, dict]:
    return {(i["cluster"], i["rule"], i["object"]): i for i in summary["resolved"]}


def test_migrations_run_once_from_an_empty_database(capsys, tmp_path, db):
    from intent.history.schema import LATEST

    snapshot = make_snapshot(tmp_path, "compliant")
    for day in ("2026-11-01", "2026-11-02"):
        code, out, err = check(capsys, db, snapshot, day)
        assert code == 0, err
        assert "history: scan recorded" in err
    assert rows(db, "SELECT version FROM schema_version") == [(LATEST,)]
    assert rows(db, "SELECT COUNT(*) FROM scans") == [(2,)]
    # Every cluster was read by both scans, and each scan says which it read.
    assert rows(db, "SELECT COUNT(*), MIN(status), MAX(status) FROM scan_clusters") == [(12, "ok", "ok")]
    sha = json.loads(out)["intent"]["sha256"]
    assert rows(db, "SELECT DISTINCT intent_sha256 FROM scans") == [(sha,)]


def test_repeated_scans_keep_one_row_per_finding(capsys, tmp_path, db):
    snapshot = make_snapshot(tmp_path, "drift", privileged=(("prod-use1", "payments"), ("prod-weu", "payments")))
    reports = []
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        code, out, err = check(capsys, db, snapshot, day)
        assert code == 1, err
        reports.append(json.loads(out))
    expected = {(f["cluster"], f["rule"], f["object"]) for f in reports[-1]["findings"]}
    summary = history_json(capsys, "summary", "--history", db, "--now", "2026-11-04")
    assert summary["scans"] == 3
    assert set(_open(summary)) == expected and summary["resolved"] == []
    for item in summary["open"]:
        assert item["first_seen"] == item["opened_at"] == "2026-11-01T00:00:00Z"
        assert item["last_seen"] == "2026-11-03T00:00:00Z"
        assert item["resolved_at"] is None and item["reopen_count"] == 0
        assert item["age_seconds"] == 3 * DAY
    payments = _open(summary)[("prod-use1", *PAYMENTS_PSA)]
    assert (payments["team"], payments["owner"], payments["severity"]) == ("payments", "payments-oncall@acme.example", "high")
    assert rows(db, "SELECT COUNT(*) FROM findings") == [(len(expected),)]
    assert rows(db, "SELECT COUNT(*) FROM episodes") == [(len(expected),)]


def test_the_fingerprint_ignores_the_message(capsys, tmp_path, db):
    # payments must enforce restricted: privileged, then baseline, is one finding whose text changed.
    worse = make_snapshot(tmp_path, "privileged", privileged=(("prod-use1", "payments"),))
    weaker = make_snapshot(tmp_path, "baseline", privileged=(("prod-use1", "payments"),), level="baseline")
    check(capsys, db, worse, "2026-11-01")
    check(capsys, db, weaker, "2026-11-02")
    summary = history_json(capsys, "summary", "--history", db, "--now", "2026-11-02")
    assert list(_open(summary)) == [("prod-use1", *PAYMENTS_PSA)]
    messages = rows(db, "SELECT message FROM findings")
    assert len(messages) == 1 and "enforce level is baseline" in messages[0][0]


def test_only_a_scan_that_read_the_cluster_resolves_its_findings(capsys, tmp_path, db):
    from intent.check.shard import select_shard

    drift = make_snapshot(tmp_path, "drift", privileged=(("prod-use1", "payments"), ("prod-weu", "payments")))
    clean = make_snapshot(tmp_path, "clean")
    prod_use1_down = make_snapshot(tmp_path, "down", unreadable=("prod-use1",))
    clusters = ["prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu"]
    shard = next(f"{k}/3" for k in range(1, 4) if "prod-use1" not in select_shard(clusters, k, 3))

    check(capsys, db, drift, "2026-11-01")
    # Day 2: prod-use1 cannot be read; prod-weu is clean again.
    code, out, _ = check(capsys, db, prod_use1_down, "2026-11-02")
    assert {c["name"]: c["status"] for c in json.loads(out)["clusters"]}["prod-use1"] == "unreadable"
    # Day 3: only prod-weu; day 4: a shard without prod-use1. Neither read prod-use1.
    check(capsys, db, clean, "2026-11-03", "--cluster", "prod-weu")
    check(capsys, db, clean, "2026-11-04", "--shard", shard)
    summary = history_json(capsys, "summary", "--history", db, "--now", "2026-11-04")
    assert set(_open(summary)) == {("prod-use1", *PAYMENTS_PSA), ("prod-use1", "FI-COLLECT-001", "Cluster/prod-use1")}
    assert _resolved(summary)[("prod-weu", *PAYMENTS_PSA)]["resolved_at"] == "2026-11-02T00:00:00Z"
    assert _open(summary)[("prod-use1", *PAYMENTS_PSA)]["last_seen"] == "2026-11-01T00:00:00Z"

    # Day 5: everything read and clean: both prod-use1 findings resolve now.
    check(capsys, db, clean, "2026-11-05")
    summary = history_json(capsys, "summary", "--history", db, "--now", "2026-11-05")
    assert summary["open"] == []
    resolved = _resolved(summary)
    assert resolved[("prod-use1", *PAYMENTS_PSA)]["resolved_at"] == "2026-11-05T00:00:00Z"
    assert resolved[("prod-use1", "FI-COLLECT-001", "Cluster/prod-use1")]["first_seen"] == "2026-11-02T00:00:00Z"
    # Time to remediation: payments 1 day (prod-weu) and 4 days (prod-use1); the collect finding 3 days.
    assert summary["mttr_seconds"]["team"] == {"(cluster-wide)": 3 * DAY, "payments": 2.5 * DAY}
    assert summary["mttr_seconds"]["rule"] == {"FI-COLLECT-001": 3 * DAY, "FI-PSA-002": 2.5 * DAY}
    scans = rows(db, "SELECT scanned_at, shard, cluster_filter FROM scans ORDER BY scanned_at")
    assert [(s[1], s[2]) for s in scans] == [(None, 0), (None, 0), (None, 1), (shard, 0), (None, 0)]


def test_a_finding_seen_again_reopens(capsys, tmp_path, db):
    drift = make_snapshot(tmp_path, "drift", privileged=(("prod-use1", "payments"),))
    clean = make_snapshot(tmp_path, "clean")
    for snapshot, day in ((drift, "2026-11-01"), (clean, "2026-11-02"), (drift, "2026-11-05")):
        check(capsys, db, snapshot, day)
    summary = history_json(capsys, "summary", "--history", db, "--now", "2026-11-06")
    item = _open(summary)[("prod-use1", *PAYMENTS_PSA)]
    assert (item["first_seen"], item["opened_at"], item["reopen_count"]) == ("2026-11-01T00:00:00Z", "2026-11-05T00:00:00Z", 1)
    assert item["age_seconds"] == DAY  # open since it reopened, not since first seen
    assert summary["mttr_seconds"]["team"] == {"payments": DAY}  # the one closed stretch
    assert rows(db, "SELECT opened_at, resolved_at FROM episodes ORDER BY opened_at") == [
        ("2026-11-01T00:00:00.000000Z", "2026-11-02T00:00:00.000000Z"),
        ("2026-11-05T00:00:00.000000Z", None),
    ]
    trend = history_json(capsys, "trend", "--history", db, "--by", "team")
    assert [(p["at"], p["open"], p["counts"]) for p in trend["points"]] == [
        ("2026-11-01T00:00:00Z", 1, {"payments": 1}),
        ("2026-11-02T00:00:00Z", 0, {}),
        ("2026-11-05T00:00:00Z", 1, {"payments": 1}),
    ]


def test_exceptions_and_their_expiry_are_recorded(capsys, tmp_path, db):
    # EXC-042 (payments-batch on prod-use1 and legacy-usw2, privileged) expired on 2027-06-30.
    clean = make_snapshot(tmp_path, "clean")
    check(capsys, db, clean, "2027-07-02")
    summary = history_json(capsys, "summary", "--history", db, "--now", "2027-07-02")
    opened = _open(summary)
    for cluster in ("prod-use1", "legacy-usw2"):
        assert opened[(cluster, "FI-EXC-001", "Exception/EXC-042")]["exception"] == {"id": "EXC-042", "expires": "2027-06-30"}
        assert opened[(cluster, "FI-PSA-002", "Namespace/payments-batch")]["exception"] == {"id": "EXC-042", "expires": "2027-06-30"}
    assert all(i["exception"] is None for k, i in opened.items() if "payments-batch" not in k[2] and "EXC" not in k[2])


def test_terraform_findings_resolve_only_when_templates_are_checked_again(capsys, tmp_path, db):
    clean = make_snapshot(tmp_path, "clean")
    stale_templates = FIXTURES / "terraform" / "namespaces-pre-psa"
    check(capsys, db, clean, "2026-11-01", "--terraform", stale_templates)
    check(capsys, db, clean, "2026-11-02")  # no --terraform: templates not looked at
    summary = history_json(capsys, "summary", "--history", db, "--now", "2026-11-02")
    assert {(k[0], k[1]) for k in _open(summary)} == {(None, "FI-TF-001")}
    assert len(summary["open"]) == 2
    check(capsys, db, clean, "2026-11-03", "--terraform", FIXTURES / "terraform" / "correct")
    summary = history_json(capsys, "summary", "--history", db, "--now", "2026-11-03")
    assert summary["open"] == [] and {i["resolved_at"] for i in summary["resolved"]} == {"2026-11-03T00:00:00Z"}


def test_trend_counts_open_findings_after_each_scan(capsys, tmp_path, db):
    one = make_snapshot(tmp_path, "one", privileged=(("prod-use1", "payments"),))
    two = make_snapshot(tmp_path, "two", privileged=(("prod-use1", "payments"), ("dev-weu", "checkout")))
    down = make_snapshot(tmp_path, "down", privileged=(("prod-use1", "payments"),), unreadable=("dev-weu",))
    for snapshot, day in ((one, "2026-11-01"), (two, "2026-11-02"), (down, "2026-11-03")):
        check(capsys, db, snapshot, day)
    trend = history_json(capsys, "trend", "--history", db, "--by", "cluster")
    assert trend["by"] == "cluster" and trend["series"] == ["dev-weu", "prod-use1"]
    # Day 3 could not read dev-weu: its finding stays open and the collect finding joins it.
    assert [(p["open"], p["counts"]) for p in trend["points"]] == [
        (1, {"prod-use1": 1}),
        (2, {"dev-weu": 1, "prod-use1": 1}),
        (3, {"dev-weu": 2, "prod-use1": 1}),
    ]
    by_severity = history_json(capsys, "trend", "--history", db, "--by", "severity")
    assert by_severity["series"] == ["high"]
    plain = history_json(capsys, "trend", "--history", db)
    assert [p["open"] for p in plain["points"]] == [1, 2, 3] and plain["series"] == []
    code, out, err = invoke_cli(capsys, "history", "trend", "--history", db, "--by", "team")
    assert code == 0 and "checkout" in out and "payments" in out, err


def test_stale_lists_clusters_not_read_in_time(capsys, tmp_path, db):
    clean = make_snapshot(tmp_path, "clean")
    down = make_snapshot(tmp_path, "down", unreadable=("prod-weu",))
    check(capsys, db, clean, "2026-11-01")
    check(capsys, db, down, "2026-11-03")
    code, out, err = invoke_cli(capsys, "history", "stale", "--history", db, "--older-than", "36h",
                                "--now", "2026-11-03T01:00:00Z", "--format", "json")
    assert code == 1, err
    data = json.loads(out)
    assert [(s["cluster"], s["last_read_at"], s["last_status"], s["last_read_age_seconds"]) for s in data["stale"]] == [
        ("prod-weu", "2026-11-01T00:00:00Z", "unreadable", 2 * DAY + 3600)]
    code, out, err = invoke_cli(capsys, "history", "stale", "--history", db, "--older-than", "7d", "--now", "2026-11-03")
    assert code == 0 and out.startswith("all 6 cluster(s) read within"), err
    code, out, _ = invoke_cli(capsys, "history", "stale", "--history", db, "--older-than", "1h", "--now", "2026-11-10")
    assert code == 1 and out.splitlines()[0].startswith("6 of 6 cluster(s)")


def test_summary_table_shows_teams_severities_and_ages(capsys, tmp_path, db):
    drift = make_snapshot(tmp_path, "drift", privileged=(("prod-use1", "payments"),))
    check(capsys, db, drift, "2026-11-01")
    code, out, err = invoke_cli(capsys, "history", "summary", "--history", db, "--now", "2026-11-04T06:00:00Z")
    assert code == 0, err
    team_rows = [line.split() for line in out.splitlines() if line.startswith("payments ")]
    # team, critical, high, medium, low, info, oldest open ("3d 6h"), MTTR ("-")
    assert team_rows == [["payments", "0", "1", "0", "0", "0", "3d", "6h", "-"]]
    assert "FI-PSA-002" in out and "Namespace/payments" in out


def test_prometheus_output_gains_ages_and_last_reads(capsys, tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    db = str(tmp_path / "history.db")
    drift = make_snapshot(tmp_path, "drift", privileged=(("prod-use1", "payments"),))
    down = make_snapshot(tmp_path, "down", privileged=(("prod-use1", "payments"),), unreadable=("dev-weu",))
    check(capsys, db, drift, "2026-11-01")
    code, out, err = invoke_cli(capsys, "check", EXAMPLE, "--snapshot", down, "--history", db,
                                "--now", "2026-11-03T12:00:00Z", "--format", "prometheus")
    assert code == 1, err
    families = {f.name: f for f in text_string_to_metric_families(out)}
    ages = {(s.labels["cluster"], s.labels["rule"]): s.value for s in families["fleet_intent_finding_age_seconds"].samples}
    assert ages[("prod-use1", "FI-PSA-002")] == 2.5 * DAY
    assert ages[("dev-weu", "FI-COLLECT-001")] == 0
    reads = {s.labels["cluster"]: s.value for s in families["fleet_intent_cluster_last_read_timestamp_seconds"].samples}
    assert reads["prod-use1"] == 1793491200 + 2.5 * DAY  # 2026-11-03T12:00Z
    assert reads["dev-weu"] == 1793491200  # 2026-11-01, its last successful read
    # Without --history the format is unchanged.
    code, out, _ = invoke_cli(capsys, "check", EXAMPLE, "--snapshot", down, "--format", "prometheus")
    assert "fleet_intent_finding_age_seconds" not in out and "last_read" not in out


def test_a_new_cluster_never_read_exports_zero(capsys, tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    db = str(tmp_path / "history.db")
    down = make_snapshot(tmp_path, "down", unreadable=("dev-weu",))
    code, out, err = invoke_cli(capsys, "check", EXAMPLE, "--snapshot", down, "--history", db,
                                "--now", "2026-11-01", "--format", "prometheus")
    families = {f.name: f for f in text_string_to_metric_families(out)}
    reads = {s.labels["cluster"]: s.value for s in families["fleet_intent_cluster_last_read_timestamp_seconds"].samples}
    assert reads["dev-weu"] == 0 and reads["prod-use1"] == 1793491200
