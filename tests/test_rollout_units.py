"""The rollout's pieces on their own: the --waves spec, and the journal's records, torn-line
tolerance and locking."""

from __future__ import annotations

import json
import multiprocessing
import os

import pytest

from intent.errors import UsageError
from intent.rollout.journal import Journal, read_journal
from intent.rollout.waves import parse_waves

CLUSTERS = ["prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu"]  # the example's order


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("canary:dev-weu,stage-use1;25%;rest",
         [("canary", ["stage-use1", "dev-weu"]), ("wave-2", ["prod-use1"]), ("wave-3", ["legacy-usw2", "prod-euw1", "prod-weu"])]),
        ("rest", [("wave-1", CLUSTERS)]),
        # Each percentage is of what is left: 50% of six, then 50% of three (rounded up), then one.
        ("50%;50%;rest", [("wave-1", ["prod-use1", "stage-use1", "legacy-usw2"]), ("wave-2", ["prod-euw1", "prod-weu"]), ("wave-3", ["dev-weu"])]),
        # 1% of six rounds up to one; a later named cluster is never taken by an earlier percentage.
        ("1%;last:prod-use1;rest", [("wave-1", ["stage-use1"]), ("last", ["prod-use1"]), ("wave-3", ["legacy-usw2", "prod-euw1", "prod-weu", "dev-weu"])]),
        (" a : prod-use1 , dev-weu ; b:100% ", [("a", ["prod-use1", "dev-weu"]), ("b", ["stage-use1", "legacy-usw2", "prod-euw1", "prod-weu"])]),
        ("prod-use1,stage-use1,legacy-usw2;prod-euw1,prod-weu,dev-weu",
         [("wave-1", ["prod-use1", "stage-use1", "legacy-usw2"]), ("wave-2", ["prod-euw1", "prod-weu", "dev-weu"])]),
    ],
)
def test_good_wave_specs(spec, expected):
    waves = parse_waves(spec, CLUSTERS)
    assert [(w.name, list(w.clusters)) for w in waves] == expected
    placed = [c for w in waves for c in w.clusters]
    assert sorted(placed) == sorted(CLUSTERS) and len(placed) == len(set(placed))


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("", "empty"),
        ("canary:nope;rest", "no cluster 'nope' in the intent"),
        ("a:dev-weu;b:dev-weu;rest", "'dev-weu' already in wave 'a'"),
        ("dev-weu,dev-weu;rest", "'dev-weu' twice in that wave"),
        ("dev-weu;;rest", "wave 2 (wave-2) is empty"),
        ("a:;rest", "wave 1 (a) is empty"),
        ("0%;rest", "bad percentage '0%'"),
        ("101%;rest", "bad percentage '101%'"),
        ("2.5%;rest", "bad percentage '2.5%'"),
        ("x%;rest", "bad percentage 'x%'"),
        ("rest;dev-weu", "'rest' must be the last wave"),
        ("dev-weu", "clusters in no wave: prod-use1, stage-use1, legacy-usw2, prod-euw1, prod-weu; name them or end with ';rest'"),
        ("50%;50%", "clusters in no wave: dev-weu"),
        ("a:dev-weu;a:rest", "wave name 'a' used twice"),
        ("bad name:dev-weu;rest", "bad name 'bad name'"),
        ("dev-weu,rest", "'rest' cannot be mixed"),
        ("dev-weu,25%;rest", "'25%' cannot be mixed"),
        ("dev-weu,;rest", "empty cluster name"),
        ("100%;rest", "(rest): no clusters left"),
        ("100%;10%", "(10%): no clusters left to take"),
    ],
)
def test_bad_wave_specs_are_one_line_errors(spec, says):
    with pytest.raises(UsageError) as caught:
        parse_waves(spec, CLUSTERS)
    message = str(caught.value)
    assert says in message, message
    assert message.startswith("--waves") and "\n" not in message


def test_journal_rebuilds_the_last_outcome_per_cluster(tmp_path):
    path = str(tmp_path / "rollout.jsonl")
    assert read_journal(path) is None
    first = Journal(path, "run-1")
    first.append("start", intent_sha256="a" * 64)
    first.append("applied", cluster="c1", wave="w", intent_sha256="a" * 64, log="l1")
    first.append("failed", cluster="c2", wave="w", intent_sha256="a" * 64, interrupted=True)
    first.append("verified", cluster="c1", wave="w", intent_sha256="a" * 64, ok=True)
    first.append("halted", wave="w", reason="x")
    second = Journal(path, "run-2")
    second.append("start", intent_sha256="b" * 64)
    second.append("applied", cluster="c2", wave="w", intent_sha256="b" * 64)

    state = read_journal(path)
    assert state.last_run == "run-2" and state.last_run_end is None and state.last_run_sha256 == "b" * 64
    assert state.applied_with("c1", "a" * 64) and not state.applied_with("c1", "b" * 64)
    assert state.applied_with("c2", "b" * 64)
    assert state.clusters["c1"].verified is True and state.clusters["c1"].log == "l1"
    assert state.clusters["c2"].verified is None
    lines = (tmp_path / "rollout.jsonl").read_text().splitlines()
    assert len(lines) == 7 and all(json.loads(line)["run"] in ("run-1", "run-2") for line in lines)


def test_a_torn_last_line_is_ignored_on_read_and_cut_on_the_next_append(tmp_path):
    path = tmp_path / "rollout.jsonl"
    journal = Journal(str(path), "run-1")
    journal.append("applied", cluster="c1", wave="w", intent_sha256="a" * 64)
    with open(path, "ab") as handle:  # a crash in the middle of the next record
        handle.write(b'{"event":"applied","cluster":"c2","int')
    state = read_journal(str(path))
    assert list(state.clusters) == ["c1"]
    assert len(state.warnings) == 1 and "incomplete" in state.warnings[0]

    journal.append("failed", cluster="c2", wave="w", intent_sha256="a" * 64)
    assert journal.warnings and "removed an incomplete last line" in journal.warnings[0]
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["event"], r["cluster"]) for r in records] == [("applied", "c1"), ("failed", "c2")]
    assert read_journal(str(path)).warnings == []


def test_a_bad_line_inside_the_journal_is_an_error_naming_it(tmp_path):
    path = tmp_path / "rollout.jsonl"
    path.write_text('{"event":"start","run":"r"}\nnot json\n{"event":"done","run":"r"}\n')
    with pytest.raises(UsageError, match=r"rollout.jsonl:2: not a rollout journal record"):
        read_journal(str(path))
    path.write_text('{"event":"applied","run":"r"}\n')
    with pytest.raises(UsageError, match=r":1: applied record without a cluster name"):
        read_journal(str(path))


def _append_many(path: str, run: str, count: int) -> None:
    journal = Journal(path, run)
    for index in range(count):
        journal.append("applied", cluster=f"{run}-{index}", wave="w", intent_sha256="a" * 64, log="x" * 5000)


def test_two_processes_appending_never_interleave_records(tmp_path):
    path = str(tmp_path / "rollout.jsonl")
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_append_many, args=(path, f"run{n}", 50)) for n in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
        assert writer.exitcode == 0
    lines = open(path, encoding="ascii").read().splitlines()
    records = [json.loads(line) for line in lines]  # every line a whole record
    assert len(records) == 100
    assert len(read_journal(path).clusters) == 100


def test_a_second_rollout_on_the_same_journal_is_refused(tmp_path):
    path = str(tmp_path / "rollout.jsonl")
    with Journal(path, "run-1").run_lock():
        with pytest.raises(UsageError, match="another rollout is using it"):
            with Journal(path, "run-2").run_lock():
                pass
    with Journal(path, "run-3").run_lock():  # released when the first run ended
        pass
    assert os.path.exists(path + ".lock")


def test_the_audit_line_carries_the_waves_of_a_rollout_only():
    from intent.evidence.audit import audit_record

    plain = audit_record("check", "a" * 64, ["c1"], {}, 0, environ={})
    assert "waves" not in plain  # generate and check lines keep their shape
    wave = {"name": "canary", "clusters": ["c1"], "applied": 1, "skipped": 0, "failed": 0, "pending": 0, "verified": "ok"}
    record = audit_record("rollout", "a" * 64, ["c1"], {}, 0, environ={}, waves=[wave])
    assert record["waves"] == [wave] and record["command"] == "rollout"


def test_a_journal_that_is_not_a_regular_file_is_one_line_usage_error(tmp_path):
    from intent.errors import UsageError

    path = tmp_path / "rollout.jsonl"
    path.mkdir()
    with pytest.raises(UsageError) as caught:
        read_journal(str(path))
    assert str(caught.value).startswith(f"journal {path}: ") and "\n" not in str(caught.value)
