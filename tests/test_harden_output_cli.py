"""The CLI's own failures: usage errors, unexpected exceptions and interrupts are one line each,
with the exit codes of SPEC §6, and every generate/check run leaves exactly one audit line."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLE, FIXTURES

COMPLIANT = FIXTURES / "snapshots" / "compliant"


# --- R16: click usage errors --------------------------------------------------------------

USAGE_ERRORS = {
    "missing argument": (("generate",), "missing argument 'INTENT'", "fleet-intent generate"),
    "unknown option": (("generate", EXAMPLE, "--bogus"), "no such option '--bogus'", "fleet-intent generate"),
    "option typo": (("generate", EXAMPLE, "--chek"), "no such option '--chek'. (Did you mean one of: '--check', '--help'?)", "fleet-intent generate"),
    "unknown command": (("bogus",), "no such command 'bogus'", "fleet-intent"),
    "concurrency 0": (("check", EXAMPLE, "--snapshot", COMPLIANT, "--concurrency", "0"),
                      "invalid value for '--concurrency': 0 is not in the range x>=1", "fleet-intent check"),
    "snapshot missing": (("check", EXAMPLE, "--snapshot", "/nonexistent"),
                         "invalid value for '--snapshot': Directory '/nonexistent' does not exist", "fleet-intent check"),
    "bad choice": (("check", EXAMPLE, "--snapshot", COMPLIANT, "--format", "yaml"), "invalid value for '--format': 'yaml' is not one of", "fleet-intent check"),
    "option without value": (("check", EXAMPLE, "--snapshot"), "option '--snapshot' requires an argument", "fleet-intent check"),
    "merge without file": (("report", "merge"), "missing argument 'REPORT.json...'", "fleet-intent report merge"),
    "unknown subcommand": (("report", "bogus"), "no such command 'bogus'", "fleet-intent report"),
}


@pytest.mark.parametrize("name", list(USAGE_ERRORS))
def test_usage_error_is_one_line_naming_the_help_exit_2(run, name):
    argv, message, command = USAGE_ERRORS[name]
    code, out, err = run(*argv)
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith(f"error: {message}") and line.endswith(f" (see '{command} --help')"), line
    assert ".  (" not in line and ". (see" not in line


def test_output_option_naming_a_file_for_generate_is_one_line(run, tmp_path):
    (tmp_path / "file").write_text("x\n")
    code, _, err = run("generate", EXAMPLE, "-o", tmp_path / "file")
    assert code == 2
    assert err.splitlines() == [
        f"error: invalid value for '-o' / '--output': Directory '{tmp_path / 'file'}' is a file (see 'fleet-intent generate --help')"
    ]


def test_usage_error_is_recorded_in_the_audit_log_as_its_one_line(run, tmp_path):
    log = tmp_path / "audit.jsonl"
    code, _, _ = run("check", EXAMPLE, "--snapshot", COMPLIANT, "--concurrency", "0", "--audit-log", log)
    assert code == 2
    [record] = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["exitCode"] == 2 and record["error"].startswith("invalid value for '--concurrency'")


def test_help_and_version_still_print_normally(run):
    code, out, _ = run("generate", "--help")
    assert code == 0 and out.startswith("Usage: fleet-intent generate")
    code, out, _ = run("--version")
    assert code == 0 and "fleet-intent, version" in out
