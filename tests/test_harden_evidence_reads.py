"""verify and signing read keys, MANIFEST.json and its signature as bounded regular files:
a FIFO or a link to /dev/zero there is one line, never a hang or an unbounded read."""

from __future__ import annotations

import os

import pytest

from bounded_cli import one_line_error, run_bounded
from test_evidence import make_output, write_key_pair

from intent.evidence.signing import sign_output, verify_output


@pytest.fixture
def signed(tmp_path):
    private, public = write_key_pair(tmp_path, "k")
    out = make_output(tmp_path)
    sign_output(str(out), str(private))
    return out, private, public


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero link"])
def test_public_key_that_is_not_a_regular_file_is_one_line_exit_2(signed, tmp_path, kind):
    out, _, _ = signed
    key = tmp_path / "evil.pub.pem"
    os.mkfifo(key) if kind == "fifo" else key.symlink_to("/dev/zero")
    proc = run_bounded("verify", out, "--public-key", key)
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "evil.pub.pem" in line and ("FIFO" in line or "character device" in line)


@pytest.mark.parametrize("name", ["MANIFEST.json", "MANIFEST.json.sig"])
def test_manifest_or_signature_that_is_a_fifo_is_a_problem_not_a_hang(signed, name):
    out, _, public = signed
    (out / name).unlink()
    os.mkfifo(out / name)
    proc = run_bounded("verify", out, "--public-key", public)
    assert proc.returncode == 1, proc.stderr
    assert f"{name}: is a FIFO" in proc.stdout


def test_signing_with_a_key_that_is_a_fifo_is_one_line_exit_2(tmp_path):
    os.mkfifo(tmp_path / "key.pem")
    proc = run_bounded("generate", "fixtures/example.yaml", "-o", tmp_path / "out", "--sign-key", tmp_path / "key.pem")
    assert proc.returncode == 2
    assert "key.pem: is a FIFO" in one_line_error(proc)


def test_a_generated_file_swapped_for_a_fifo_is_reported_changed(signed):
    out, _, public = signed
    target = out / "clusters" / "prod-use1" / "access.tf"
    target.unlink()
    os.mkfifo(target)
    assert verify_output(str(out), str(public)) == ["clusters/prod-use1/access.tf: changed (is a symlink or not a regular file)"]
