"""Bad history databases get one line naming `--history` and the fix, exit 2, never a
traceback, never a password; reports never create a database; bad durations are refused."""

from __future__ import annotations

import os
import sqlite3

import pytest

from conftest import EXAMPLE, invoke_cli
from history_support import COMPLIANT, check, db, rows  # noqa: F401 - db is a fixture


def _one_line(code: int, out: str, err: str) -> str:
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("error: ")
    return lines[0]


def _check(capsys, target) -> tuple[int, str, str]:
    return invoke_cli(capsys, "check", EXAMPLE, "--snapshot", COMPLIANT, "--history", target, "--now", "2026-11-01")


def test_a_directory_is_refused(capsys, tmp_path):
    line = _one_line(*_check(capsys, tmp_path))
    assert "is a directory" in line and "--history" in line


def test_a_missing_parent_directory_is_refused(capsys, tmp_path):
    line = _one_line(*_check(capsys, tmp_path / "nope" / "h.db"))
    assert "does not exist" in line
    assert not (tmp_path / "nope").exists()


def test_control_characters_in_the_path_stay_on_one_line(capsys, tmp_path):
    line = _one_line(*_check(capsys, tmp_path / "a\nb\x1b[31m" / "h.db"))
    assert "a\\nb\\x1b[31m" in line


def test_a_fifo_is_refused_without_waiting_on_it(capsys, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "not a regular file" in _one_line(*_check(capsys, fifo))


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(capsys, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("these are notes, not a database\n" * 100)
    line = _one_line(*_check(capsys, path))
    assert "not a database" in line
    assert path.read_text().startswith("these are notes")


def test_someone_elses_database_is_never_written(capsys, tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
    line = _one_line(*_check(capsys, path))
    assert "not a history database" in line
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["users"]


@pytest.mark.parametrize("target, words", [
    ("mysql://root@localhost/history", "unsupported URL scheme 'mysql'"),
    ("sqlite:///tmp/h.db", "unsupported URL scheme 'sqlite'"),
    (":memory:", "would keep nothing"),
    ("", "empty"),
])
def test_unsupported_targets_are_refused(capsys, target, words):
    assert words in _one_line(*_check(capsys, target))


def test_nothing_is_read_or_reported_before_the_database_is_usable(capsys, tmp_path):
    code, out, err = _check(capsys, tmp_path)
    assert code == 2 and out == ""


def test_an_unreachable_server_is_one_line_without_the_password(capsys):
    code, out, err = _check(capsys, "postgresql://fleet:s3cretpass@127.0.0.1:1/history")
    line = _one_line(code, out, err)
    assert "--history postgresql://fleet@127.0.0.1:1/history" in line
    assert "s3cretpass" not in err and "s3cretpass" not in out


def test_an_unparsable_url_is_one_line(capsys):
    line = _one_line(*_check(capsys, "postgresql://fleet:pw@host:notaport/db"))
    assert "--history" in line and ":pw@" not in line


def test_reports_never_create_a_database(capsys, tmp_path):
    missing = tmp_path / "missing.db"
    for argv in (["summary"], ["trend"], ["stale", "--older-than", "1d"]):
        line = _one_line(*invoke_cli(capsys, "history", *argv, "--history", missing))
        assert "no such history database" in line
    assert not missing.exists()


def test_reports_on_an_empty_server_database_say_so(capsys, pg_url):
    line = _one_line(*invoke_cli(capsys, "history", "summary", "--history", pg_url))
    assert "no history yet" in line


def test_a_newer_schema_is_refused(capsys, tmp_path, db):
    code, _, err = check(capsys, db, COMPLIANT, "2026-11-01")
    assert code == 0, err
    from intent.history.store import connect

    with connect(db, create=False) as history, history.write():
        history.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (99, "2030-01-01T00:00:00.000000Z"))
    line = _one_line(*check(capsys, db, COMPLIANT, "2026-11-02"))
    assert "schema version 99 is newer than this fleet-intent understands (1); upgrade fleet-intent" in line
    assert "schema version 99" in _one_line(*invoke_cli(capsys, "history", "summary", "--history", db))
    assert rows(db, "SELECT COUNT(*) FROM scans") == [(1,)]


@pytest.mark.parametrize("duration", ["", "24", "h", "1.5h", "-1d", "0h", "1d 2h", "10y", "99999999w"])
def test_bad_durations_are_refused(capsys, tmp_path, duration):
    db = str(tmp_path / "h.db")
    check(capsys, db, COMPLIANT, "2026-11-01")
    line = _one_line(*invoke_cli(capsys, "history", "stale", "--history", db, "--older-than", duration))
    assert "--older-than" in line


@pytest.mark.parametrize("duration, seconds", [("90m", 5400), ("24h", 86400), ("7d", 604800), ("1d12h", 129600), ("2w", 1209600), ("45s", 45)])
def test_durations(duration, seconds):
    from intent.history.timefmt import parse_duration

    assert parse_duration(duration).total_seconds() == seconds


def test_terminal_output_shows_control_characters_as_question_marks():
    from intent.history.render import summary_table

    data = {"scans": 1, "last_scan": "2026-11-01T00:00:00Z", "now": "2026-11-02T00:00:00Z", "resolved": [],
            "mttr_seconds": {"team": {}, "rule": {}},
            "open": [{"severity": "high", "age_seconds": 60, "cluster": "c\x1b]0;pwned\x07", "rule": "FI-PSA-002",
                      "object": "Namespace/\u202eevil", "team": "t", "exception": None, "reopen_count": 0}]}
    text = summary_table(data)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "c?]0;pwned?" in text and "Namespace/?evil" in text
