"""A real PostgreSQL server for the history tests, started by the test run from the server
binaries on the machine (Debian's postgresql package: /usr/lib/postgresql/<major>/bin).

One server per test session in a temporary directory, listening on 127.0.0.1 only with
trust authentication; each test gets a fresh database (`pg_url`). initdb and the server
refuse to run as root ("Since the server may not be run as root, you must not run initdb as
root either. It will in fact refuse to do so.", PostgreSQL docs, app-initdb), and CI runs as
root: then both run as the unprivileged `nobody` (subprocess's `user=`/`group=`), in a
directory handed to it. No binaries: the tests that need the server skip, saying why.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

UNPRIVILEGED = "nobody"


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: $FLEET_INTENT_PG_BINDIR, `pg_config --bindir`, or
    the newest /usr/lib/postgresql/*/bin."""
    candidates: list[str] = []
    if os.environ.get("FLEET_INTENT_PG_BINDIR"):
        candidates.append(os.environ["FLEET_INTENT_PG_BINDIR"])
    if shutil.which("pg_config"):
        try:
            candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                             timeout=10).stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
                         reverse=True)
    for candidate in candidates:
        if candidate and all(os.access(os.path.join(candidate, tool), os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    bindir: Path
    base: Path
    port: int
    run_as: dict

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str, timeout: int = 120) -> subprocess.CompletedProcess:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C", "HOME": str(self.base)}
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, env=env, cwd=self.base,
                              **self.run_as)

    def start(self) -> None:
        data = self.base / "data"
        done = self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                         "-E", "UTF8", "--locale=C", "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-500:]}")
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.base}' "
                   "-c fsync=off -c max_connections=50")
        done = self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.base / "server.log"),
                         "-o", options, "-w", "-t", "60", "start")
        if done.returncode != 0:
            log = (self.base / "server.log").read_text(errors="replace")[-800:] if (self.base / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()[-300:]} {log}")

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.base / "data"), "-m", "immediate", "-w", "stop")


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def start_server() -> PgServer:
    """Start a throwaway server (stop it with `stop()`, then remove `base`); Unavailable when
    the binaries or an unprivileged account are missing, RuntimeError when it fails to start."""
    bindir = find_bindir()
    if bindir is None:
        raise Unavailable("PostgreSQL server binaries not found (initdb, pg_ctl and postgres under $FLEET_INTENT_PG_BINDIR, "
                          "`pg_config --bindir` or /usr/lib/postgresql/*/bin): install Debian's postgresql package")
    run_as: dict = {}
    account = None
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(UNPRIVILEGED)
        except KeyError:
            raise Unavailable(f"running as root and there is no {UNPRIVILEGED!r} user to run PostgreSQL as "
                              "(initdb refuses root)") from None
        run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    base = Path(tempfile.mkdtemp(prefix="fi-pg-"))
    if account is not None:
        os.chown(base, account.pw_uid, account.pw_gid)
    server = PgServer(bindir, base, _free_port(), run_as)
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL could not be started from {bindir}: {exc}") from None
    return server


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server (skips when the binaries are missing)."""
    try:
        server = start_server()
    except Unavailable as exc:
        pytest.skip(str(exc))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server):
    """A postgresql:// URL of a fresh, empty database, dropped after the test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.url(name)
    finally:
        with psycopg.connect(pg_server.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
