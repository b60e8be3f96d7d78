"""Fuzzing the files `check --snapshot` and `report merge` read: random JSON shapes, wrong
types, deep nesting, huge numbers, invalid UTF-8 and non-regular files.

Whatever the input, the run ends with a meaning (a cluster unreadable with a cause naming its
file, or a one-line error naming the report, exit 2), never a traceback or a hang. The CLI runs
in-process for speed (a SIGALRM guard turns a hang into a failure); inputs that could exhaust
memory if a bound were lost run once, together, in a child process under RLIMIT_AS.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import tempfile
from pathlib import Path

import pytest
from bounded_cli import run_bounded
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sample_reports import sample_report

from conftest import EXAMPLE, FIXTURES, invoke_cli
from intent.check.formats import FORMATS

COMPLIANT = FIXTURES / "snapshots" / "compliant"
# One cluster per provider and authentication mode, with every document each reads.
CLUSTERS = ("prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu")
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@contextlib.contextmanager
def no_hang(seconds: int = 20):
    def expire(*_):
        raise TimeoutError(f"no answer within {seconds}s: a read blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
hostile_bytes = st.sampled_from([
    b"[" * 5000 + b"]" * 5000,
    b'{"items": ' * 150 + b"[]" + b"}" * 150,
    b"1" * 5000,
    b'{"items": [' + b"9" * 400 + b"]}",
    b'{"items": [1e999]}',
    b'{"items": [NaN]}',
    b'{"items": ["\\udc00"]}',
    b"\xff\xfe{}",
    b'{"items": [{"metadata": {"name": "\xc3\x28"}}]}',
    b"",
    b"{",
    b"null",
])
non_regular = st.sampled_from(["fifo", "directory", "dangling symlink", "socket"])


def mutate(value, rng: random.Random, replacement):
    """`value` with one randomly chosen node (possibly the root) replaced by `replacement`."""
    nodes = [((), value)]
    paths = []
    while nodes:
        path, node = nodes.pop()
        paths.append(path)
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        nodes.extend((path + (key,), child) for key, child in children)
    path = rng.choice(sorted(paths, key=repr))
    if not path:
        return replacement
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = replacement
    return value


def make_non_regular(path: Path, kind: str) -> None:
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "dangling symlink":
        path.symlink_to(path.parent / "gone")
    else:
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(str(path))
        except OSError:  # path too long for a socket address
            os.mkfifo(path)
        finally:
            server.close()


def documents(cluster: str) -> list[str]:
    root = COMPLIANT / cluster
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.json"))


@SETTINGS
@given(
    cluster=st.sampled_from(CLUSTERS),
    pick=st.integers(min_value=0),
    seed=st.integers(min_value=0),
    how=st.sampled_from(["mutate", "replace", "bytes", "non-regular"]),
    value=json_values,
    raw=hostile_bytes,
    kind=non_regular,
    fmt=st.sampled_from(["json", "table"]),
)
def test_fuzzed_snapshot_document_is_checked_or_unreadable_with_its_name(capsys, cluster, pick, seed, how, value, raw, kind, fmt):
    rel = documents(cluster)[pick % len(documents(cluster))]
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp)
        shutil.copytree(COMPLIANT / cluster, snap / cluster)
        doc = snap / cluster / rel
        if how == "mutate":
            doc.write_text(json.dumps(mutate(json.loads(doc.read_text()), random.Random(seed), value)))
        elif how == "replace":
            doc.write_text(json.dumps(value))
        elif how == "bytes":
            doc.write_bytes(raw)
        else:
            make_non_regular(doc, kind)
        with no_hang():
            code, out, err = invoke_cli(capsys, "check", EXAMPLE, "--snapshot", snap, "--cluster", cluster,
                                        "--now", "2026-11-26", "--format", "json", "-o", snap / "r.json")
        assert "Traceback" not in err
        assert code in (0, 1), err
        report = json.loads((snap / "r.json").read_text())
        [status] = report["clusters"]
        if status["status"] == "unreadable":
            [collect] = [f for f in report["findings"] if f["rule"] == "FI-COLLECT-001"]
            assert "\n" not in collect["actual"]
            # The cause names the document (or, for a shape the reader did not foresee, says so).
            assert rel.rsplit("/", 1)[-1] in collect["actual"] or "unexpected document content" in collect["actual"]
        if how in ("bytes", "non-regular") and raw not in (b"null",):
            assert status["status"] == "unreadable"
        # Whatever was read formats in the other reports too.
        code, out, err = invoke_cli(capsys, "report", "merge", snap / "r.json", "--format", fmt)
        assert code == 0 and err == "", err


@SETTINGS
@given(
    seed=st.integers(min_value=0),
    how=st.sampled_from(["mutate", "replace", "bytes", "non-regular"]),
    value=json_values,
    raw=hostile_bytes,
    kind=non_regular,
    fmt=st.sampled_from(sorted(FORMATS)),
)
def test_fuzzed_report_is_merged_or_refused_in_one_line(capsys, seed, how, value, raw, kind, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        good = Path(tmp) / "good.json"
        good.write_text(sample_report().to_json())
        bad = Path(tmp) / "fuzzed.json"
        if how == "mutate":
            bad.write_text(json.dumps(mutate(json.loads(good.read_text()), random.Random(seed), value)))
        elif how == "replace":
            bad.write_text(json.dumps(value))
        elif how == "bytes":
            bad.write_bytes(raw)
        else:
            bad.touch()
            make_non_regular(bad, kind)
        with no_hang():
            code, out, err = invoke_cli(capsys, "report", "merge", good, bad, "--format", fmt)
        assert "Traceback" not in err
        if code == 0:
            assert err == "" and out
        else:
            assert code == 2 and out == ""
            [line] = err.strip().splitlines()
            assert str(bad) in line


def test_hostile_inputs_that_could_exhaust_memory_stay_bounded_in_one_run(tmp_path):
    """One check and one merge under RLIMIT_AS: /dev/zero links, a growing-size lie, deep and huge
    documents, and a FIFO, each in a different cluster."""
    snap = tmp_path / "snap"
    shutil.copytree(COMPLIANT, snap)
    gsa = next((snap / "prod-euw1" / "gcp" / "service-account-iam").iterdir())
    gsa.unlink()
    gsa.symlink_to("/dev/zero")
    aws_auth = snap / "stage-use1" / "kubernetes" / "aws-auth.json"
    aws_auth.unlink()
    aws_auth.symlink_to("/dev/urandom")
    (snap / "prod-use1" / "kubernetes" / "rolebindings.json").write_bytes(b"[" * 1_000_000 + b"]" * 1_000_000)
    (snap / "legacy-usw2" / "kubernetes" / "namespaces.json").write_bytes(b"[" + b"{}," * 3_000_000 + b"{}]")
    fifo = snap / "prod-weu" / "azure" / "cluster.json"
    fifo.unlink()
    os.mkfifo(fifo)
    with open(snap / "dev-weu" / "azure" / "role-assignments.json", "r+b") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse, over the 64 MiB cap
    proc = run_bounded("check", EXAMPLE, "--snapshot", snap, "--now", "2026-11-26", "--format", "json")
    assert "Traceback" not in proc.stderr and proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    causes = {f["cluster"]: f["actual"] for f in report["findings"] if f["rule"] == "FI-COLLECT-001"}
    assert "is a character device" in causes["prod-euw1"] and "is a character device" in causes["stage-use1"]
    assert "nested deeper than 100" in causes["prod-use1"]
    assert "is a FIFO" in causes["prod-weu"] and "larger than the 64 MiB limit" in causes["dev-weu"]
    # 3 million empty objects (9 MB) are read within the memory bound, then refused for their shape.
    assert "namespaces.json: items[0].metadata" in causes["legacy-usw2"]

    proc = run_bounded("report", "merge", "/dev/zero", "/dev/urandom")
    assert proc.returncode == 2 and proc.stderr.strip() == "error: /dev/zero: is a character device, not a regular file"
