"""`check -o` / `report merge -o` targets that are not plain files: FIFOs, character devices,
the descriptor names (/dev/stdout, /dev/fd/N), symbolic links, directories. A target that is
not a regular file is never replaced by one."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import EXAMPLE, FIXTURES, invoke_cli

COMPLIANT = FIXTURES / "snapshots" / "compliant"
ROOT = FIXTURES.parent

# As root, a regression would replace the system's /dev/null or /dev/stdout by a regular file:
# those two tests run only unprivileged; the private device node and /proc/self/fd/N (which no
# one can replace) cover the same code as root.
UNPRIVILEGED_ONLY = pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="would put the system's /dev at risk on a regression"
)


def check_to(capsys, target, *extra: str) -> tuple[int, str, str]:
    return invoke_cli(capsys, "check", EXAMPLE, "--snapshot", COMPLIANT, "--format", "json", "--now", "2026-11-26", "-o", target, *extra)


def merge_to(capsys, tmp_path: Path, target) -> tuple[int, str, str]:
    report = tmp_path / "shard.json"
    code, _, err = check_to(capsys, report)
    assert code == 0, err
    return invoke_cli(capsys, "report", "merge", report, "-o", target)


def read_fifo_in_background(path: Path) -> tuple[threading.Thread, list[bytes]]:
    received: list[bytes] = []

    def reader() -> None:
        with open(path, "rb") as handle:  # blocks until the writer opens the FIFO
            received.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread, received


def no_temporary_files(directory: Path) -> bool:
    return not list(directory.glob(".fleet-intent-*"))


@pytest.mark.parametrize("command", ["check", "merge"])
def test_fifo_target_is_written_through_and_stays_a_fifo(tmp_path, capsys, command):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    thread, received = read_fifo_in_background(fifo)

    code, out, err = check_to(capsys, fifo) if command == "check" else merge_to(capsys, tmp_path, fifo)

    thread.join(timeout=60)
    assert code == 0 and out == "", err
    assert json.loads(received[0])["findings"] == []
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert no_temporary_files(tmp_path)


def test_symlink_to_a_fifo_is_written_through_and_both_stay(tmp_path, capsys):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    link = tmp_path / "report.json"
    link.symlink_to(fifo)
    thread, received = read_fifo_in_background(fifo)

    code, _, err = check_to(capsys, link)

    thread.join(timeout=60)
    assert code == 0, err
    assert json.loads(received[0])["version"] == 1
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_private_character_device_stays_a_device(tmp_path, capsys):
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # the same device as /dev/null
        os.close(os.open(node, os.O_WRONLY))
    except OSError as exc:
        pytest.skip(f"cannot make a device node here: {exc.strerror}")

    code, out, err = check_to(capsys, node)

    assert code == 0 and out == "" and err == "", err
    assert stat.S_ISCHR(os.lstat(node).st_mode) and os.lstat(node).st_rdev == os.makedev(1, 3)
    assert no_temporary_files(tmp_path)


@UNPRIVILEGED_ONLY
def test_dev_null_is_written_through(tmp_path, capsys):
    before = os.lstat("/dev/null")
    code, out, err = check_to(capsys, "/dev/null")
    assert code == 0 and out == "" and err == "", err
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino


def test_dev_fd_of_a_pipe_gets_the_report(tmp_path, capsys):
    read_end, write_end = os.pipe()
    try:
        code, _, err = check_to(capsys, f"/dev/fd/{write_end}")
        os.close(write_end)
        write_end = -1
        with os.fdopen(read_end, "rb") as handle:
            read_end = -1
            data = handle.read()
    finally:
        for fd in (read_end, write_end):
            if fd >= 0:
                os.close(fd)
    assert code == 0, err
    assert json.loads(data)["findings"] == []


def test_descriptor_names_are_recognised():
    from intent.generate.writer import descriptor_alias

    assert [descriptor_alias(p) for p in ("/dev/stdout", "/dev/stderr", "/dev/fd/7", "/proc/self/fd/12")] == [1, 2, 7, 12]
    assert [descriptor_alias(p) for p in ("/dev/stdout2", "dev/stdout", "/dev/fd/x", "/proc/1/fd/1", "/dev/stdin", "/dev/null")] == [None] * 6


@UNPRIVILEGED_ONLY
def test_dev_stdout_is_this_runs_standard_output(capfd):
    code, out, err = check_to(capfd, "/dev/stdout")
    assert code == 0, err
    assert json.loads(out)["findings"] == []


@pytest.mark.parametrize("redirect", ["pipe", "file", "append"])
def test_standard_output_by_name_in_a_real_process_follows_the_shells_redirection(tmp_path, redirect):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FLEET_INTENT_AUDIT_LOG", None)
    argv = [sys.executable, "-m", "intent", "check", str(EXAMPLE), "--snapshot", str(COMPLIANT), "--format", "json",
            "--now", "2026-11-26", "-o", "/proc/self/fd/1"]
    if redirect == "pipe":
        result = subprocess.run(argv, capture_output=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        data = result.stdout
    else:
        target = tmp_path / "report.json"
        target.write_bytes(b"earlier line\n" if redirect == "append" else b"")
        with open(target, "ab" if redirect == "append" else "wb") as handle:
            result = subprocess.run(argv, stdout=handle, stderr=subprocess.PIPE, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        data = target.read_bytes()
        if redirect == "append":
            assert data.startswith(b"earlier line\n")
            data = data[len(b"earlier line\n"):]
        assert stat.S_ISREG(os.lstat(target).st_mode)
    assert json.loads(data)["findings"] == []


@pytest.mark.parametrize("command", ["check", "merge"])
def test_symlink_to_a_regular_file_is_refused_and_both_are_kept(tmp_path, capsys, command):
    real = tmp_path / "real.json"
    real.write_text("the user's file\n")
    link = tmp_path / "report.json"
    link.symlink_to(real)

    code, out, err = check_to(capsys, link) if command == "check" else merge_to(capsys, tmp_path, link)

    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: -o {link}: is a symbolic link to {real}; refusing to replace a link with the report (name the file itself)"
    ]
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "the user's file\n"
    assert no_temporary_files(tmp_path)


def test_dangling_symlink_is_refused_and_nothing_is_created(tmp_path, capsys):
    link = tmp_path / "report.json"
    link.symlink_to(tmp_path / "missing.json")

    code, _, err = check_to(capsys, link)

    assert code == 2
    assert err.splitlines() == [
        f"error: -o {link}: is a symbolic link to {tmp_path / 'missing.json'}, which does not exist; "
        "refusing to write through it (name a file instead)"
    ]
    assert link.is_symlink() and not (tmp_path / "missing.json").exists()


def test_directory_target_is_refused(tmp_path, capsys):
    code, _, err = check_to(capsys, tmp_path)
    assert code == 2
    assert err.splitlines() == [f"error: -o {tmp_path}: is a directory; name a file"]


def test_socket_target_is_refused_and_stays_a_socket(tmp_path, capsys):
    import socket

    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        code, _, err = check_to(capsys, path)
    finally:
        server.close()
    assert code == 2
    assert err.splitlines() == [f"error: -o {path}: is a socket; name a regular file, a FIFO or a character device such as /dev/null"]
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_regular_file_is_still_replaced_atomically(tmp_path, capsys):
    target = tmp_path / "report.json"
    target.write_text("old\n")
    inode = os.lstat(target).st_ino
    code, _, _ = check_to(capsys, target)
    assert code == 0 and json.loads(target.read_text())["findings"] == []
    assert os.lstat(target).st_ino != inode  # a new file moved into place, never truncated in place
    assert no_temporary_files(tmp_path)


def test_replace_file_never_replaces_what_is_not_a_regular_file(tmp_path):
    from intent.errors import OutputError
    from intent.generate.writer import replace_file

    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    link = tmp_path / "l"
    link.symlink_to(tmp_path / "x")
    for path in (fifo, link, tmp_path):
        with pytest.raises(OutputError, match="refusing to replace it"):
            replace_file(path, "x\n")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and link.is_symlink() and not (tmp_path / "x").exists()
    assert no_temporary_files(tmp_path)
