"""Kubeconfig exec credential plugins under hostile conditions (REDTEAM R11, R12).

A plugin that hangs must be killed with everything it started (its process group) at the
cluster's deadline, at exit and on Ctrl-C, also when worker processes read the fleet. A plugin
that fails must never have its stderr copied verbatim to fleet-intent's stderr or report.
The fakes of tests/fakes serve the example fleet; only the kubeconfig's users change.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE, NOW, ROOT
from fakes.fleet import fake_fleet  # noqa: F401  (fixture)
from fakes.providers import KUBE_TOKEN

from intent.observe.collect import LiveSource
from intent.plan import plan_fleet
from intent.observe.sources import CollectError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")

SECRET = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
RUN_LIMIT = 90  # seconds: a run that takes longer is a hang, and fails the test

# Writes its pid, starts a grandchild that outlives it unless its group is killed, then hangs.
HANGING_PLUGIN = """#!/bin/sh
echo $$ >> "$1"
sleep 600 &
echo $! >> "$1"
exec sleep 600
"""
FAILING_PLUGIN = f"""#!/bin/sh
echo {SECRET} >&2
echo "token expired for $1" >&2
exit 1
"""
# A well-behaved plugin: the token the fake API server expects for the cluster in $1.
GOOD_PLUGIN = f"""#!/bin/sh
printf '{{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",\
"status":{{"token":"{KUBE_TOKEN}-%s"}}}}' "$1"
"""


def write_plugin(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


def use_exec_kubeconfig(fleet, tmp_path: Path, monkeypatch, plugin: Path, arg_of) -> None:
    """Point KUBECONFIG at a kubeconfig whose every user is `plugin` with the one arg `arg_of(cluster)`."""
    config = json.loads(fleet.kubeconfig.read_text(encoding="utf-8"))
    clusters = {c["name"]: c["cluster"]["server"].rsplit("/", 1)[1] for c in config["clusters"]}
    for user, cluster_entry in zip(config["users"], config["clusters"]):
        user["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin),
                                 "args": [arg_of(clusters[cluster_entry["name"]])], "interactiveMode": "Never"}}
    path = tmp_path / "exec-kubeconfig"
    path.write_text(json.dumps(config), encoding="utf-8")
    monkeypatch.setenv("KUBECONFIG", str(path))


def alive(pid: int) -> bool:
    """Whether `pid` is still a running `sleep` (a zombie, or a pid reused by another program, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z" and b"sleep" in cmdline


def pids(pid_file: Path) -> list[int]:
    return [int(line) for line in pid_file.read_text().split()] if pid_file.exists() else []


def wait_for(predicate, seconds: float = RUN_LIMIT) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.fixture
def hanging(fake_fleet, tmp_path, monkeypatch):
    """The fleet's kubeconfig with hanging plugins; yields the file their pids are appended to."""
    pid_file = tmp_path / "plugin-pids"
    plugin = write_plugin(tmp_path, "hanging-plugin", HANGING_PLUGIN)
    use_exec_kubeconfig(fake_fleet, tmp_path, monkeypatch, plugin, lambda cluster: str(pid_file))
    yield pid_file
    for pid in pids(pid_file):  # never leave a test's sleeps behind, whatever happened
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "intent", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=RUN_LIMIT)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("fleet-intent did not finish")
    return process.returncode, out, err


def collect_causes(report: dict) -> dict[str, str]:
    return {f["cluster"]: f["message"] for f in report["findings"] if f["rule"] == "FI-COLLECT-001"}


# R11 ------------------------------------------------------------------------------------------


def test_hung_exec_plugin_and_its_group_are_killed_at_the_clusters_deadline(loaded_example, hanging):
    plans = plan_fleet(loaded_example.intent, NOW).clusters

    results = {plan.name: r for plan, r in LiveSource(timeout=2.0).collect(plans)}

    assert all(isinstance(r, CollectError) for r in results.values())
    for result in results.values():
        assert str(result).endswith(f"exec credential plugin {hanging.parent / 'hanging-plugin'} "
                                    "gave no credential within 2s (timed out)")
    started = pids(hanging)
    assert len(started) == 2 * len(plans)
    # This process is still running: only the deadline can have ended them.
    assert wait_for(lambda: not any(alive(p) for p in started), 10), [p for p in started if alive(p)]


def test_check_live_leaves_no_exec_plugin_process_behind(hanging):
    code, out, err = finish(cli("check", str(EXAMPLE), "--live", "--timeout", "2", "--format", "json",
                                "--now", "2026-11-26"))

    assert code == 1, err
    causes = collect_causes(json.loads(out))
    assert len(causes) == 6
    assert all("exec credential plugin" in c and "timed out" in c for c in causes.values()), causes
    started = pids(hanging)
    assert len(started) == 12
    assert [p for p in started if alive(p)] == []


def test_ctrl_c_kills_running_exec_plugins(hanging):
    process = cli("check", str(EXAMPLE), "--live", "--timeout", "60", "--now", "2026-11-26", start_new_session=True)
    try:
        assert wait_for(lambda: len(pids(hanging)) == 12), "the plugins did not start"
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        code, _, err = finish(process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert code in (2, 130), err  # interrupted (the exit code of an interrupt is not this test's subject)
    assert [p for p in pids(hanging) if alive(p)] == []


@pytest.mark.parametrize("signum, said", [(signal.SIGTERM, "terminated"), (signal.SIGHUP, "terminated (hangup)")])
def test_terminated_check_live_leaves_no_exec_plugin(hanging, tmp_path, signum, said):
    audit = tmp_path / "audit.jsonl"
    process = cli("check", str(EXAMPLE), "--live", "--timeout", "60", "--now", "2026-11-26", "--audit-log", str(audit),
                  start_new_session=True)
    try:
        assert wait_for(lambda: len(pids(hanging)) == 12), "the plugins did not start"
        # To the whole process group, as `timeout`, a CI cancel or a closed terminal do: the
        # plugins run in groups of their own, which only fleet-intent can end.
        os.killpg(process.pid, signum)
        code, _, err = finish(process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert code == 128 + signum, err  # the conventional status of a run ended by a signal
    assert err.strip() == said
    assert [p for p in pids(hanging) if alive(p)] == []
    (record,) = [json.loads(line) for line in audit.read_text().splitlines()]  # one audit line, even now
    assert record["exitCode"] == 128 + signum and record["error"] == said


COLLECT_IN_PROCESSES = """
import sys
from intent.observe.collect import LiveSource
from intent.load import load_intent
from intent.plan import plan_fleet
from conftest import NOW, EXAMPLE
plans = plan_fleet(load_intent(str(EXAMPLE), NOW).intent, NOW).clusters
for plan, result in LiveSource(processes=2, concurrency=6, timeout=float(sys.argv[1])).collect(plans):
    print(plan.name, str(result) if not isinstance(result, dict) else "ok", flush=True)
"""


def collector(timeout: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    return subprocess.Popen([sys.executable, "-c", COLLECT_IN_PROCESSES, timeout], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_worker_processes_kill_their_exec_plugins_at_the_deadline(hanging):
    code, out, err = finish(collector("2"))

    assert code == 0, err
    assert len(out.splitlines()) == 6 and all("timed out" in line for line in out.splitlines()), out
    assert len(pids(hanging)) == 12
    assert [p for p in pids(hanging) if alive(p)] == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_interrupted_parent_of_worker_processes_leaves_no_exec_plugin(hanging, signum):
    process = collector("60", start_new_session=True)
    try:
        assert wait_for(lambda: len(pids(hanging)) == 12), "the plugins did not start"
        os.kill(process.pid, signum)  # the parent only: it must end its workers, and they their plugins
        process.wait(timeout=RUN_LIMIT)  # not for its pipes, which orphaned workers would hold open
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert wait_for(lambda: not any(alive(p) for p in pids(hanging)), 10), [p for p in pids(hanging) if alive(p)]


def test_well_behaved_exec_plugin_token_reads_the_cluster(loaded_example, fake_fleet, tmp_path, monkeypatch):
    plugin = write_plugin(tmp_path, "good-plugin", GOOD_PLUGIN)
    use_exec_kubeconfig(fake_fleet, tmp_path, monkeypatch, plugin, lambda cluster: cluster)
    plans = plan_fleet(loaded_example.intent, NOW).clusters

    results = {plan.name: r for plan, r in LiveSource(timeout=30.0).collect(plans)}

    assert {name: type(r).__name__ for name, r in results.items()} == {plan.name: "dict" for plan in plans}
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # SIGTERM is only taken over while reading


# R12 ------------------------------------------------------------------------------------------


def test_failing_exec_plugin_stderr_never_reaches_output_verbatim(fake_fleet, tmp_path, monkeypatch):
    plugin = write_plugin(tmp_path, "failing-plugin", FAILING_PLUGIN)
    use_exec_kubeconfig(fake_fleet, tmp_path, monkeypatch, plugin, lambda cluster: cluster)
    report = tmp_path / "report.json"

    code, out, err = finish(cli("check", str(EXAMPLE), "--live", "--timeout", "10", "--format", "json",
                                "-o", str(report), "--now", "2026-11-26"))

    assert code == 1, err
    text = report.read_text(encoding="utf-8")
    for where in (out, err, text):
        assert SECRET not in where
    assert "ERROR:root" not in err
    causes = collect_causes(json.loads(text))
    assert len(causes) == 6
    for cluster, cause in causes.items():
        assert f"exec credential plugin {plugin} exited 1" in cause, cause
        assert "[redacted]" in cause and f"token expired for {cluster}" in cause  # an excerpt, redacted


def test_worker_processes_print_no_plugin_stderr(fake_fleet, tmp_path, monkeypatch):
    plugin = write_plugin(tmp_path, "failing-plugin", FAILING_PLUGIN)
    use_exec_kubeconfig(fake_fleet, tmp_path, monkeypatch, plugin, lambda cluster: cluster)

    code, out, err = finish(collector("10"))

    assert code == 0, err
    assert SECRET not in out + err
    assert err == ""
    assert len(out.splitlines()) == 6 and all("exited 1" in line for line in out.splitlines()), out


LOG_FROM_A_LIBRARY = f"""
import logging, sys
from intent.logs import configure_logging
configure_logging()
logging.error("exec: process returned 1. {SECRET}")
logging.getLogger("urllib3.connectionpool").warning("Connection pool is full, discarding connection")
print("done")
"""


@pytest.mark.parametrize("debug", [None, "1"])
def test_library_logging_reaches_stderr_only_when_asked_and_redacted(debug):
    env = {k: v for k, v in os.environ.items() if k != "FLEET_INTENT_DEBUG"}
    if debug:
        env["FLEET_INTENT_DEBUG"] = debug
    result = subprocess.run([sys.executable, "-c", LOG_FROM_A_LIBRARY], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=RUN_LIMIT)

    assert result.stdout == "done\n"
    assert SECRET not in result.stderr
    if debug:
        assert "exec: process returned 1. [redacted]" in result.stderr
        assert "Connection pool is full" in result.stderr
    else:
        assert result.stderr == ""


CLI_THEN_LOG = f"""
import logging, sys
import intent.cli.main
try:
    intent.cli.main.main(["validate", sys.argv[1]])
except SystemExit:
    pass
logging.error("exec: process returned 1. {SECRET}")
"""


def test_cli_keeps_library_logging_off_stderr():
    env = {k: v for k, v in os.environ.items() if k != "FLEET_INTENT_DEBUG"}
    result = subprocess.run([sys.executable, "-c", CLI_THEN_LOG, str(EXAMPLE)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=RUN_LIMIT)

    assert "valid" in result.stdout
    assert result.stderr == ""


def test_worker_processes_log_only_with_fleet_intent_debug(fake_fleet, tmp_path, monkeypatch):
    plugin = write_plugin(tmp_path, "good-plugin", GOOD_PLUGIN)
    use_exec_kubeconfig(fake_fleet, tmp_path, monkeypatch, plugin, lambda cluster: cluster)
    monkeypatch.setenv("FLEET_INTENT_DEBUG", "1")

    code, out, err = finish(collector("30"))

    assert code == 0, err
    assert out.count(" ok\n") == 6, out
    # Only the workers made requests (and configured logging): their debug records, redacted.
    assert "DEBUG urllib3.connectionpool: " in err
    assert KUBE_TOKEN not in err


def test_configure_logging_has_no_import_time_effect():
    code = "import logging, intent.cli.main, intent.logs, intent.observe.collect, intent.observe.fanout; print(len(logging.getLogger().handlers))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=RUN_LIMIT)
    assert result.stdout.strip() == "0", result.stderr


# The runner on its own -------------------------------------------------------------------------

EXEC_API = "client.authentication.k8s.io/v1beta1"


def run_plugin(tmp_path: Path, body: str, timeout: float = 10.0, **exec_config):
    from intent.observe.kubeexec import run_exec_plugin

    plugin = write_plugin(tmp_path, "plugin", "#!/bin/sh\n" + body)
    return run_exec_plugin({"apiVersion": EXEC_API, "command": str(plugin), **exec_config},
                           {"server": "https://k.example"}, str(tmp_path), timeout)


def credential(status: str, api: str = EXEC_API) -> str:
    return f"""printf '{{"apiVersion":"{api}","kind":"ExecCredential","status":{status}}}'\n"""


@pytest.mark.parametrize("body, cause", [
    ("exit 3\n", r"plugin \S+ exited 3$"),
    ("kill -TERM $$\n", r"plugin \S+ was killed by SIGTERM$"),
    ("echo not json\n", r"plugin \S+ printed something that is not JSON$"),
    ("head -c 200000 /dev/zero | tr '\\0' '['\n", r"plugin \S+ printed something that is not JSON$"),
    (credential('{"token":"t"}', api="client.authentication.k8s.io/v1"), r"answered with apiVersion .*/v1, not .*/v1beta1$"),
    (credential('{"expirationTimestamp":"2030-01-01T00:00:00Z"}'), r"printed neither a token nor clientCertificateData"),
    (credential('{"clientCertificateData":"c"}'), r"printed neither a token nor clientCertificateData"),
    ("head -c 2000000 /dev/zero\n", r"printed more than 1 MiB$"),
    (f"echo '{'x' * 500}' >&2; exit 1\n", r"exited 1: x{197}\.\.\.$"),
])
def test_exec_plugin_failures_are_one_line_causes(tmp_path, body, cause):
    with pytest.raises(CollectError, match=cause) as failure:
        run_plugin(tmp_path, body)
    assert str(failure.value).startswith(f"kubernetes: exec credential plugin {tmp_path / 'plugin'} ")
    assert "\n" not in str(failure.value)


def test_exec_plugin_that_cannot_be_run_is_named(tmp_path):
    from intent.observe.kubeexec import run_exec_plugin

    with pytest.raises(CollectError, match=r"^kubernetes: exec credential plugin no-such-plugin-x cannot be run \("):
        run_exec_plugin({"apiVersion": EXEC_API, "command": "no-such-plugin-x"}, None, str(tmp_path), 5.0)
    with pytest.raises(CollectError, match="needs a command and an apiVersion"):
        run_exec_plugin({"command": "x"}, None, None, 5.0)
    with pytest.raises(CollectError, match="exec is not a mapping"):
        run_exec_plugin(None, None, None, 5.0)


def test_exec_plugin_gets_its_env_cluster_info_and_no_terminal(tmp_path):
    body = ('[ -t 0 ] && exit 9\n'  # stdin is not a terminal (it is /dev/null)
            'echo "$KUBERNETES_EXEC_INFO" > info.json\n'
            + credential('{"token":"%s"}').replace("'\n", "' \"$PLUGIN_TOKEN\"\n"))
    status = run_plugin(tmp_path, body, env=[{"name": "PLUGIN_TOKEN", "value": "from-env"}], provideClusterInfo=True)

    assert status == {"token": "from-env"}
    info = json.loads((tmp_path / "info.json").read_text())  # written in the kubeconfig's directory
    assert info == {"apiVersion": EXEC_API, "kind": "ExecCredential",
                    "spec": {"interactive": False, "cluster": {"server": "https://k.example"}}}


def test_exec_plugin_excerpt_redacts_secrets_from_its_own_env(tmp_path):
    body = 'echo "login failed: $MY_TOKEN" >&2\nexit 1\n'
    with pytest.raises(CollectError) as failure:
        run_plugin(tmp_path, body, env=[{"name": "MY_TOKEN", "value": "s3cr3t-value-42"}])
    assert str(failure.value).endswith("exited 1: login failed: [redacted]")


class _Answer:
    """What the kubernetes client hands `_json`: a urllib3 response's body and its release."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.released = False

    def release_conn(self) -> None:
        self.released = True


@pytest.mark.parametrize("body, cause", [
    (b"[" * 5000 + b"]" * 5000, "nested deeper than"),
    (b'{"items": [' + b"9" * 5000 + b"]}", "digits"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_api_server_answers_are_held_to_the_snapshot_bounds(body, cause):
    from intent.observe.kubelive import _json
    from intent.observe.sources import CollectError

    answer = _Answer(body)
    with pytest.raises(CollectError, match=cause) as info:
        _json(answer)
    assert str(info.value).startswith("kubernetes: API server answer") and answer.released


def test_legacy_gcp_auth_provider_cmd_path_is_never_run(loaded_example, fake_fleet, tmp_path, monkeypatch):
    # The client would run cmd-path itself, with no timeout, in fleet-intent's process group,
    # and quote its stderr in the error: it is refused with a cause that says what to use.
    marker = tmp_path / "ran"
    command = write_plugin(tmp_path, "gcloud", f"#!/bin/sh\ntouch {marker}\necho {SECRET} >&2\nexit 1\n")
    config = json.loads(fake_fleet.kubeconfig.read_text(encoding="utf-8"))
    for user in config["users"]:
        user["user"] = {"auth-provider": {"name": "gcp", "config": {"cmd-path": str(command)}}}
    (tmp_path / "gcp-kubeconfig").write_text(json.dumps(config), encoding="utf-8")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "gcp-kubeconfig"))
    plans = plan_fleet(loaded_example.intent, NOW).clusters

    results = {plan.name: r for plan, r in LiveSource(timeout=10.0).collect(plans)}

    assert not marker.exists()
    for result in results.values():
        assert isinstance(result, CollectError) and "use gke-gcloud-auth-plugin" in str(result)
        assert SECRET not in str(result)

