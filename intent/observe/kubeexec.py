"""Kubeconfig exec credential plugins (`users[].user.exec`), run by fleet-intent itself.

The kubernetes client would run a plugin with `subprocess.Popen(...).communicate()`: no
timeout, so a plugin that hangs outlives the cluster's deadline and fleet-intent itself, and
its stderr is logged verbatim. Here each plugin runs in a session (and so a process group) of
its own, with stdin closed and both outputs captured (bounded), and is killed with its whole
group at the cluster's deadline; plugins still running when fleet-intent exits, or when a
worker process is told to stop, are killed the same way (`kill_running`). A failure becomes a
one-line cause naming the command, with a redacted, shortened excerpt of what it wrote.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from typing import Any

from intent.quoting import clip
from intent.observe.sources import CollectError

MAX_STDOUT = 1024 * 1024  # an ExecCredential is a token or a certificate: a few KiB
MAX_STDERR_KEPT = 64 * 1024  # read on and dropped past this, so that the plugin never blocks
MAX_EXCERPT = 200
MAX_COMMAND = 120

# Plugin processes running now, by pid (= their process group id); guarded by _LOCK, which is
# re-entrant because `kill_running` may run in a signal handler while this thread holds it.
_RUNNING: dict[int, subprocess.Popen] = {}
_LOCK = threading.RLock()
_state = {"closed": False, "atexit": False}


def run_exec_plugin(
    exec_config: Mapping[str, Any] | None,
    cluster: Mapping[str, Any] | None,
    cwd: str | None,
    timeout: float,
    limit: float | None = None,
) -> dict[str, Any]:
    """The `status` of the ExecCredential the plugin prints (with a `token`, or a
    `clientCertificateData` and `clientKeyData`), within `timeout` seconds.

    `exec_config` is the kubeconfig user's `exec` mapping, `cluster` the context's cluster
    mapping (passed to the plugin when it sets `provideClusterInfo`), `cwd` the directory the
    plugin runs in (the kubeconfig's, as the kubernetes client does). `limit` is the cluster's
    whole time (`--timeout`), named when the plugin runs out of time. Raises CollectError.
    """
    if not isinstance(exec_config, Mapping):
        raise CollectError("kubernetes: kubeconfig user's exec is not a mapping")
    if not isinstance(cluster, Mapping):
        cluster = None
    command = exec_config.get("command")
    api_version = exec_config.get("apiVersion")
    if not isinstance(command, str) or not command or not isinstance(api_version, str):
        raise CollectError("kubernetes: kubeconfig exec credential plugin needs a command and an apiVersion")
    name = _shown(command)
    if not isinstance(exec_config.get("args") or [], list):
        raise CollectError(f"kubernetes: kubeconfig exec credential plugin {name}: args is not a list")
    args = [command, *[str(arg) for arg in exec_config.get("args") or ()]]
    plugin_env = {str(item["name"]): str(item["value"]) for item in exec_config.get("env") or ()
                  if isinstance(item, Mapping) and "name" in item and "value" in item}
    env = {**os.environ, **plugin_env}
    spec: dict[str, Any] = {"interactive": False}  # never a prompt: many clusters are read at once
    if exec_config.get("provideClusterInfo") and cluster is not None:
        spec["cluster"] = dict(cluster)
        for extension in cluster.get("extensions") or ():
            if isinstance(extension, Mapping) and extension.get("name") == "client.authentication.k8s.io/exec":
                spec["cluster"]["config"] = extension.get("extension")
                break
    info = {"apiVersion": api_version, "kind": "ExecCredential", "spec": spec}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info, default=str)  # YAML may hold dates
    late = CollectError(
        f"kubernetes: exec credential plugin {name} gave no credential within "
        f"{limit if limit is not None else round(timeout, 1):g}s (timed out)"
    )

    process = _start(args, env, cwd or None, name)
    try:
        stdout, stderr = _communicate(process, time.monotonic() + timeout, name, late)
    finally:
        _end(process)
    if process.returncode != 0:
        raise CollectError(
            f"kubernetes: exec credential plugin {name} {_exit_text(process.returncode)}"
            + _excerpt(stderr, {**os.environ, **plugin_env})
        )
    try:
        credential = json.loads(stdout)
    except (ValueError, RecursionError):
        raise CollectError(f"kubernetes: exec credential plugin {name} printed something that is not JSON") from None
    if not isinstance(credential, dict) or not isinstance(credential.get("status"), dict):
        raise CollectError(f"kubernetes: exec credential plugin {name} printed no ExecCredential status")
    if credential.get("apiVersion") != api_version:
        raise CollectError(
            f"kubernetes: exec credential plugin {name} answered with apiVersion "
            f"{_shown(str(credential.get('apiVersion')))}, not {api_version}"
        )
    status = credential["status"]
    if not isinstance(status.get("token"), str) and not (
        isinstance(status.get("clientCertificateData"), str) and isinstance(status.get("clientKeyData"), str)
    ):
        raise CollectError(
            f"kubernetes: exec credential plugin {name} printed neither a token "
            "nor clientCertificateData with clientKeyData"
        )
    return status


def kill_running() -> None:
    """Kill every plugin still running, each with its whole process group, and start no more.

    Called at exit (registered with the first plugin) and by a worker process told to stop.
    """
    with _LOCK:
        _state["closed"] = True
        for pid in list(_RUNNING):
            _kill_group(pid)


def _start(args: list[str], env: dict[str, str], cwd: str | None, name: str) -> subprocess.Popen:
    with _LOCK:  # a plugin started after kill_running would outlive fleet-intent
        if _state["closed"]:
            raise CollectError(f"kubernetes: exec credential plugin {name} not started: fleet-intent is stopping")
        if not _state["atexit"]:
            atexit.register(kill_running)
            _state["atexit"] = True
        try:
            process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=cwd, env=env, start_new_session=True,
            )
        except OSError as exc:
            raise CollectError(
                f"kubernetes: exec credential plugin {name} cannot be run ({exc.strerror or type(exc).__name__})"
            ) from None
        _RUNNING[process.pid] = process
        return process


def _end(process: subprocess.Popen) -> None:
    """Kill what is left of the plugin's group (all of it at the deadline, else a grandchild it
    left running), then reap it; the plugin is not reaped before, so its group id is still its own."""
    with _LOCK:
        _kill_group(process.pid)
        _RUNNING.pop(process.pid, None)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    process.wait()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # the group is gone already
        pass


def _communicate(process: subprocess.Popen, deadline: float, name: str, late: CollectError) -> tuple[bytes, bytes]:
    """Both outputs of the plugin once it exits; CollectError at the deadline or on too much output."""
    out = bytearray()
    err = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, out)
        selector.register(process.stderr, selectors.EVENT_READ, err)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise late
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.data is out:
                    out += chunk
                    if len(out) > MAX_STDOUT:
                        raise CollectError(f"kubernetes: exec credential plugin {name} printed more than 1 MiB")
                elif len(err) < MAX_STDERR_KEPT:
                    err += chunk[: MAX_STDERR_KEPT - len(err)]
    if not _exited(process, deadline):
        raise late
    return bytes(out), bytes(err)


def _exited(process: subprocess.Popen, deadline: float) -> bool:
    """Whether the plugin exits by the deadline, left unreaped (WNOWAIT): while it is a zombie its
    pid cannot be reused, so that killing its group afterwards kills nothing else."""
    pause = 0.001
    while True:
        try:
            if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:  # reaped already (SIGCHLD ignored): it has exited
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.05)


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited {code}"


def _excerpt(stderr: bytes, environ: Mapping[str, str]) -> str:
    """': <what the plugin wrote>' on one line, redacted as the audit log is, and cut short."""
    from intent.redaction import redact

    text = " ".join(redact(stderr.decode("utf-8", "replace"), environ).split())
    if not text:
        return ""
    return ": " + clip(text, MAX_EXCERPT)


def _shown(text: str) -> str:
    """A command as it may appear in a one-line cause."""
    text = " ".join(text.split())
    return clip(text, MAX_COMMAND)
