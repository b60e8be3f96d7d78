"""Hostile snapshot documents (REDTEAM R3, R4, R5, R20): each makes its cluster unreadable
(FI-COLLECT-001 naming the file and the cause) while every other cluster is still checked; none
hangs, reads without bound or ends the run with a traceback."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from bounded_cli import run_bounded

from conftest import EXAMPLE, FIXTURES, invoke_cli

COMPLIANT = FIXTURES / "snapshots" / "compliant"
CLUSTERS = {"prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu"}
GSA = "gcp/service-account-iam/payments-api@acme-prod.iam.gserviceaccount.com.json"


@pytest.fixture
def snap(tmp_path):
    target = tmp_path / "snap"
    shutil.copytree(COMPLIANT, target)
    return target


def check_in_process(capsys, snapshot, *extra) -> tuple[int, dict]:
    code, out, err = invoke_cli(capsys, "check", EXAMPLE, "--snapshot", snapshot, "--format", "json", "--now", "2026-11-26", *extra)
    assert "Traceback" not in err
    return code, json.loads(out)


def check_bounded(snapshot, *extra) -> tuple[int, dict]:
    proc = run_bounded("check", EXAMPLE, "--snapshot", snapshot, "--format", "json", "--now", "2026-11-26", *extra)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def unreadable(report: dict) -> dict[str, str]:
    """cluster -> the cause of its FI-COLLECT-001; asserts nothing else was found."""
    assert {f["rule"] for f in report["findings"]} <= {"FI-COLLECT-001"}, report["findings"]
    causes = {f["cluster"]: f["actual"] for f in report["findings"]}
    status = {c["name"]: c["status"] for c in report["clusters"]}
    assert {name for name, s in status.items() if s == "unreadable"} == set(causes)
    return causes


def replace(path, how: str) -> None:
    """Turn the document at `path` into a hostile thing of kind `how`."""
    path.unlink()
    if how == "directory":
        path.mkdir()
    elif how == "dangling symlink":
        path.symlink_to(path.parent / "gone.json")
    elif how == "fifo":
        os.mkfifo(path)
    elif how == "/dev/zero link":
        path.symlink_to("/dev/zero")
    else:
        path.write_text(how)


# --- R3: deep nesting and huge integers ------------------------------------------------------

@pytest.mark.parametrize(
    "content, cause",
    [
        ("[" * 200_000 + "]" * 200_000, "nested deeper than"),
        ("1" * 5000, "digits"),
        ('{"items": [' + "9" * 5000 + "]}", "digits"),
    ],
    ids=["deep", "bigint", "bigint-inside"],
)
def test_r3_deep_or_bigint_namespaces_is_collect_error_for_that_cluster_only(capsys, snap, content, cause):
    (snap / "prod-use1" / "kubernetes" / "namespaces.json").write_text(content)
    code, report = check_in_process(capsys, snap)
    causes = unreadable(report)
    assert set(causes) == {"prod-use1"}
    assert "kubernetes/namespaces.json" in causes["prod-use1"] and cause in causes["prod-use1"]
    assert {c["name"] for c in report["clusters"]} == CLUSTERS
    assert code == 1


# --- R4, R5: a GSA policy that is a FIFO, or a link to /dev/zero --------------------------------

@pytest.mark.parametrize("how, cause", [("fifo", "is a FIFO"), ("/dev/zero link", "is a character device")])
def test_r4_r5_gsa_policy_that_is_not_a_regular_file_is_collect_error(snap, how, cause):
    replace(snap / "prod-euw1" / GSA, how)
    code, report = check_bounded(snap)
    causes = unreadable(report)
    assert set(causes) == {"prod-euw1"}
    assert GSA.rsplit("/", 1)[-1] in causes["prod-euw1"] and cause in causes["prod-euw1"]
    assert code == 1


@pytest.mark.parametrize("how, cause", [("fifo", "is a FIFO"), ("/dev/zero link", "is a character device"),
                                        ("directory", "is a directory"), ("dangling symlink", "symbolic link")])
def test_required_document_that_is_not_a_regular_file_says_what_it_is(snap, how, cause):
    replace(snap / "prod-use1" / "kubernetes" / "namespaces.json", how)
    code, report = check_bounded(snap, "--cluster", "prod-use1")
    causes = unreadable(report)
    assert "kubernetes/namespaces.json" in causes["prod-use1"] and cause in causes["prod-use1"]
    assert code == 1


def test_gsa_directory_that_is_not_a_directory_is_collect_error(capsys, snap):
    gsa_dir = snap / "prod-euw1" / "gcp" / "service-account-iam"
    shutil.rmtree(gsa_dir)
    gsa_dir.write_text("{}")
    code, report = check_in_process(capsys, snap, "--cluster", "prod-euw1")
    assert "service-account-iam" in unreadable(report)["prod-euw1"]
    assert code == 1


def test_document_larger_than_the_cap_is_collect_error_without_reading_it(capsys, snap):
    doc = snap / "prod-use1" / "kubernetes" / "namespaces.json"
    with open(doc, "r+b") as handle:
        handle.truncate(64 * 1024 * 1024 + 1)  # sparse: no 64 MiB written
    code, report = check_in_process(capsys, snap, "--cluster", "prod-use1")
    assert "larger than the 64 MiB limit" in unreadable(report)["prod-use1"]


def test_symlinked_documents_inside_a_snapshot_are_read(capsys, snap, tmp_path):
    # Links are followed (a snapshot assembled from shared dumps is legitimate); only what the
    # link finally opens must be a regular file.
    shared = tmp_path / "shared-namespaces.json"
    doc = snap / "prod-use1" / "kubernetes" / "namespaces.json"
    shutil.move(doc, shared)
    doc.symlink_to(shared)
    code, report = check_in_process(capsys, snap, "--cluster", "prod-use1")
    assert report["findings"] == [] and code == 0


# --- R20: an optional document is absent only when there is no directory entry at all ----------

AWS_AUTH = "kubernetes/aws-auth.json"


@pytest.mark.parametrize(
    "how, cause",
    [
        ("directory", "is a directory"),
        ("dangling symlink", "symbolic link"),
        ("fifo", "is a FIFO"),
        ("/dev/zero link", "is a character device"),
        ("{}", "not a ConfigMap"),
        ("[]", "not a JSON object"),
        ('{"kind": "ConfigMap", "metadata": {"name": "coredns"}, "data": {}}', "not the aws-auth ConfigMap"),
        ("", "not valid JSON"),
    ],
)
def test_r20_unreadable_or_malformed_aws_auth_is_collect_error_not_absent(snap, how, cause):
    replace(snap / "stage-use1" / AWS_AUTH, how)  # stage-use1 is API_AND_CONFIG_MAP: aws-auth is read
    code, report = check_bounded(snap, "--cluster", "stage-use1")
    causes = unreadable(report)
    assert AWS_AUTH in causes["stage-use1"] and cause in causes["stage-use1"], causes
    assert code == 1


def test_r20_missing_aws_auth_is_absent(capsys, snap):
    (snap / "stage-use1" / AWS_AUTH).unlink()
    code, report = check_in_process(capsys, snap, "--cluster", "stage-use1")
    assert report["findings"] == [] and report["clusters"][0]["status"] == "ok"
    assert code == 0


def test_a_document_named_with_a_newline_still_gives_a_one_line_cause(capsys, snap):
    gsa_dir = snap / "prod-euw1" / "gcp" / "service-account-iam"
    (gsa_dir / "evil\nFI-NS-001 fake.json").mkdir()
    code, report = check_in_process(capsys, snap, "--cluster", "prod-euw1")
    cause = unreadable(report)["prod-euw1"]
    assert "\n" not in cause and "evil\\nFI-NS-001 fake.json: is a directory, not a regular file" in cause
