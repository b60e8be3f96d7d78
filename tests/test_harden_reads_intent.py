"""The INTENT argument read bounded (REDTEAM R15): a FIFO, a device or a link to one is one
line naming it, exit 2, without waiting for a writer or reading without limit."""

from __future__ import annotations

import os

import pytest
from bounded_cli import one_line_error, run_bounded

from conftest import EXAMPLE, NOW
from intent.errors import IntentError, UsageError
from intent.load import load_intent


@pytest.mark.parametrize("command", ["validate", "plan", "check"])
def test_r15_fifo_intent_is_one_line_exit_2(tmp_path, command):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    extra = ["--snapshot", tmp_path] if command == "check" else []
    proc = run_bounded(command, fifo, *extra)
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_line_error(proc) == f"error: {fifo}: is a FIFO (named pipe), not a regular file; pass the intent YAML file"


@pytest.mark.parametrize("how", ["/dev/zero", "link"])
def test_r15_dev_zero_intent_is_one_line_exit_2(tmp_path, how):
    path = "/dev/zero"
    if how == "link":
        path = tmp_path / "intent.yaml"
        path.symlink_to("/dev/zero")
    proc = run_bounded("validate", path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_line_error(proc) == f"error: {path}: is a character device, not a regular file; pass the intent YAML file"


def test_intent_reached_through_a_symlink_is_read(tmp_path):
    link = tmp_path / "intent.yaml"
    link.symlink_to(EXAMPLE)
    assert load_intent(str(link), NOW).sha256 == load_intent(str(EXAMPLE), NOW).sha256


@pytest.mark.parametrize(
    "make, error, cause",
    [
        (lambda p: p.mkdir(), UsageError, "is a directory, not a regular file; pass the intent YAML file"),
        (lambda p: None, UsageError, "no such file"),
        (lambda p: p.symlink_to(p.parent / "gone.yaml"), UsageError, "is a symbolic link to a missing file"),
        (lambda p: p.write_bytes(b"#" * (10 * 1024 * 1024 + 1)), IntentError, "larger than the 10 MiB limit"),
    ],
    ids=["directory", "missing", "dangling", "too-large"],
)
def test_other_unusable_intent_paths_keep_their_one_line_cause(tmp_path, make, error, cause):
    path = tmp_path / "intent.yaml"
    make(path)
    with pytest.raises(error) as info:
        load_intent(str(path), NOW)
    assert str(info.value).startswith(str(path)) and cause in str(info.value) and "\n" not in str(info.value)
