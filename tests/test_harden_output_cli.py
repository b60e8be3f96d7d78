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


# --- R13: every generate/check run leaves one audit line; a crash is one line, exit 2 -------

TOKEN = "ghp_0123456789abcdefghijABCDEFGHIJ012345"


def records(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def crash_in_write_output(monkeypatch, exc: BaseException) -> None:
    import intent.generate.writer

    def write_output(*args, **kwargs):
        raise exc

    monkeypatch.setattr(intent.generate.writer, "write_output", write_output)


def test_unexpected_exception_is_one_line_exit_2_and_one_audit_line(run, tmp_path, monkeypatch):
    monkeypatch.delenv("FLEET_INTENT_DEBUG", raising=False)
    crash_in_write_output(monkeypatch, RuntimeError(f"boom\nsecond line {TOKEN}"))
    log = tmp_path / "audit.jsonl"

    code, out, err = run("generate", EXAMPLE, "-o", tmp_path / "out", "--audit-log", log)

    assert code == 2 and out == ""
    assert err.splitlines() == [
        "internal error: RuntimeError: boom second line [redacted] "
        "(please report it; FLEET_INTENT_DEBUG=1 shows the traceback)"
    ]
    [record] = records(log)
    assert record["command"] == "generate" and record["exitCode"] == 2
    assert record["error"] == "internal error: RuntimeError: boom second line [redacted]"
    assert len(record["intentSha256"]) == 64


def test_debug_variable_adds_the_traceback(run, tmp_path, monkeypatch):
    monkeypatch.setenv("FLEET_INTENT_DEBUG", "1")
    crash_in_write_output(monkeypatch, RuntimeError("boom"))
    code, _, err = run("generate", EXAMPLE, "-o", tmp_path / "out")
    assert code == 2
    assert "Traceback (most recent call last)" in err and 'raise exc' in err
    assert err.splitlines()[-1] == "internal error: RuntimeError: boom (please report it; FLEET_INTENT_DEBUG=1 shows the traceback)"


def test_ctrl_c_in_check_is_one_line_130_and_one_audit_line(run, tmp_path, monkeypatch):
    import intent.check.run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(intent.check.run, "run_check", interrupted)
    log = tmp_path / "audit.jsonl"
    code, out, err = run("check", EXAMPLE, "--snapshot", COMPLIANT, "--audit-log", log)
    assert code == 130 and out == "" and err == "interrupted\n"
    [record] = records(log)
    assert record["command"] == "check" and record["exitCode"] == 130 and record["error"] == "interrupted"
    assert len(record["clusters"]) == 6


def test_red_team_intent_that_crashed_the_loader_still_leaves_one_audit_line(run, tmp_path):
    intent = tmp_path / "key_bad_date.yaml"
    intent.write_text(EXAMPLE.read_text() + "2020-13-45: x\n")
    log = tmp_path / "audit.jsonl"
    code, _, err = run("generate", intent, "-o", tmp_path / "out", "--audit-log", log)
    assert code == 2 and "Traceback" not in err
    assert len(err.splitlines()) <= 3  # one line per problem and the count, or one internal-error line
    [record] = records(log)
    assert record["command"] == "generate" and record["exitCode"] == 2 and record["error"]
    assert not (tmp_path / "out").exists()


def test_audit_log_on_a_character_device_or_pipe_is_written_not_fsynced(run, tmp_path):
    # fsync of /dev/null or a pipe fails with EINVAL: a successful run must still exit 0.
    code, _, err = run("generate", "fixtures/example.yaml", "-o", tmp_path / "out", "--audit-log", "/dev/null")
    assert code == 0 and "cannot write" not in err, err
