"""Helpers of the findings-history tests: snapshots built from the compliant fixture, the
database under test (SQLite file or a fresh PostgreSQL database), and direct reads of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import EXAMPLE, FIXTURES, invoke_cli

COMPLIANT = FIXTURES / "snapshots" / "compliant"
ENFORCE = "pod-security.kubernetes.io/enforce"


def make_snapshot(root: Path, name: str, *, privileged: tuple[tuple[str, str], ...] = (),
                  unreadable: tuple[str, ...] = (), level: str = "privileged") -> Path:
    """The compliant snapshot copied to root/name, with each (cluster, namespace) in
    `privileged` relabelled enforce=`level` and each cluster in `unreadable` removed."""
    target = root / name
    shutil.copytree(COMPLIANT, target)
    for cluster, namespace in privileged:
        path = target / cluster / "kubernetes" / "namespaces.json"
        doc = json.loads(path.read_text())
        for item in doc["items"]:
            if item["metadata"]["name"] == namespace:
                item["metadata"].setdefault("labels", {})[ENFORCE] = level
                break
        else:
            raise AssertionError(f"{cluster} has no namespace {namespace}")
        path.write_text(json.dumps(doc))
    for cluster in unreadable:
        shutil.rmtree(target / cluster)
    return target


def check(capsys, db: str, snapshot: Path, now: str, *extra) -> tuple[int, str, str]:
    """`fleet-intent check EXAMPLE --snapshot SNAPSHOT --history DB --now NOW --format json EXTRA...`"""
    return invoke_cli(capsys, "check", EXAMPLE, "--snapshot", snapshot, "--history", db, "--now", now,
                      "--format", "json", *extra)


def history_json(capsys, *argv) -> dict:
    code, out, err = invoke_cli(capsys, "history", *argv, "--format", "json")
    assert code in (0, 1), err
    return json.loads(out)


def rows(db: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of one query against the history database, straight from the database."""
    from intent.history.store import connect

    with connect(db, create=False) as history:
        return history.query(sql, params)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    """The history database under test: a SQLite file, or a fresh database on the test
    run's PostgreSQL server (skipped, with the reason, when its binaries are missing)."""
    if request.param == "sqlite":
        return str(tmp_path / "history.db")
    return request.getfixturevalue("pg_url")
