"""Long runs draw a progress bar on an interactive terminal, and nothing in CI logs or pipes."""

from __future__ import annotations

import copy
import os
import pty
import subprocess
import sys

import pytest
from generate_support import example_data, intent_bytes

from intent.progress import MIN_CLUSTERS, progress_bar

COPIES = -(-MIN_CLUSTERS // 6)  # the example's 6 clusters, this many times: enough for a bar


@pytest.fixture(scope="module")
def large_intent(tmp_path_factory):
    data = example_data()
    originals = data["clusters"]
    clusters = copy.deepcopy(originals)
    for i in range(1, COPIES):
        for cluster in copy.deepcopy(originals):
            cluster["name"] = f"{cluster['name']}-{i}"
            cluster.pop("kubeContext", None)
            clusters.append(cluster)
    data["clusters"] = clusters
    path = tmp_path_factory.mktemp("progress") / "intent.yaml"
    path.write_bytes(intent_bytes(data))
    return path


def run_with_terminal_stderr(argv: list[str], env: dict[str, str], cwd) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal and stdout on a pipe: (code, stdout, terminal text)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "intent", *argv], stdout=subprocess.PIPE, stderr=follower,
                            stdin=subprocess.DEVNULL, env=env, cwd=cwd)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    out = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(leader)
    return proc.returncode, out, b"".join(chunks).decode("utf-8", "replace")


def terminal_env(ci: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update({"COLUMNS": "120", "TERM": "xterm"})
    if ci:
        env["CI"] = "true"
    return env


@pytest.mark.parametrize("ci", [False, True])
def test_check_snapshot_progress_bar_only_on_a_terminal_outside_ci(large_intent, tmp_path, ci):
    # No snapshot directories: every cluster is read (unreadable) and checked, one step each.
    argv = ["check", str(large_intent), "--snapshot", str(tmp_path), "--format", "json", "--now", "2026-11-26"]
    code, out, terminal = run_with_terminal_stderr(argv, terminal_env(ci), tmp_path)

    assert code == 1 and out.startswith("{")  # the report on stdout is untouched by the bar
    clusters = COPIES * 6
    assert (f"{clusters}/{clusters}" in terminal and "checking" in terminal) is not ci


@pytest.mark.parametrize("ci", [False, True])
def test_generate_progress_bar_only_on_a_terminal_outside_ci(large_intent, tmp_path, ci):
    argv = ["generate", str(large_intent), "-o", str(tmp_path / "out"), "--now", "2026-11-26"]
    code, _, terminal = run_with_terminal_stderr(argv, terminal_env(ci), tmp_path)

    assert code == 0
    assert ("rendering" in terminal) is not ci
    assert f"{COPIES * 6} clusters: " in terminal


def test_progress_bar_disabled_draws_nothing(capsys):
    with progress_bar(False, 3, "checking") as advance:
        for name in "abc":
            advance(name)
    assert capsys.readouterr() == ("", "")
