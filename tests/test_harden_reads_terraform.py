"""`check --terraform DIR` reads templates bounded: a `.tf` that is a FIFO or a link to a device
is a file that could not be checked (exit 2, named), not a hang or an unbounded read."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from bounded_cli import run_bounded

from conftest import EXAMPLE, FIXTURES


@pytest.mark.parametrize("how, kind", [("fifo", "a FIFO (named pipe)"), ("/dev/zero", "a character device")])
def test_tf_file_that_is_not_a_regular_file_could_not_be_checked(tmp_path, how, kind):
    tf = tmp_path / "tf"
    shutil.copytree(FIXTURES / "terraform" / "correct", tf)
    bad = tf / "zz-hostile.tf"
    if how == "fifo":
        os.mkfifo(bad)
    else:
        bad.symlink_to(how)
    audit = tmp_path / "audit.jsonl"
    proc = run_bounded("check", EXAMPLE, "--terraform", tf, "--now", "2026-11-26", "--audit-log", audit)
    assert "Traceback" not in proc.stderr and proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [f"error: {bad}: is {kind}, not a regular file",
                                        "error: 1 Terraform file(s) could not be checked"]
    (record,) = [json.loads(line) for line in audit.read_text().splitlines()]
    assert record["exitCode"] == 2 and record["error"] == "1 Terraform file(s) could not be checked"
