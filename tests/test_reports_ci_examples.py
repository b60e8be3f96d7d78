"""The CI examples in docs/examples parse and use the formats and commands as documented."""

from __future__ import annotations

from pathlib import Path

import yaml

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def load(name: str) -> list:
    return list(yaml.safe_load_all((EXAMPLES / name).read_text()))


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_ci_examples_github_uploads_sarif_from_one_check_run():
    (workflow,) = load("github-actions.yml")
    uses = [s.get("uses", "") for s in steps(workflow)]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert workflow["jobs"]["drift"]["permissions"]["security-events"] == "write"
    runs = "\n".join(s.get("run", "") for s in steps(workflow))
    assert runs.count("fleet-intent check ") == 1 and "--format sarif" in runs


def test_ci_examples_github_sharded_matrix_then_merge():
    (workflow,) = load("github-actions-sharded.yml")
    check = workflow["jobs"]["check"]
    assert check["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert "--shard ${{ matrix.shard }}/4" in "\n".join(s.get("run", "") for s in check["steps"])
    assert workflow["jobs"]["merge"]["needs"] == "check"
    assert "fleet-intent report merge shard-*.json" in "\n".join(s.get("run", "") for s in workflow["jobs"]["merge"]["steps"])


def test_ci_examples_gitlab_publishes_junit_report():
    (pipeline,) = load("gitlab-ci.yml")
    drift = pipeline["drift"]
    assert drift["artifacts"]["reports"]["junit"] == "fleet-intent.junit.xml"
    assert drift["artifacts"]["when"] == "always"
    assert any("--format junit -o fleet-intent.junit.xml" in line for line in drift["script"])


def test_ci_examples_kubernetes_cronjob_and_indexed_job():
    (cron,) = load("cronjob.yaml")
    assert cron["kind"] == "CronJob"
    shards, merge = load("indexed-job.yaml")
    spec = shards["spec"]
    assert spec["completionMode"] == "Indexed"
    script = spec["template"]["spec"]["containers"][0]["args"][0]
    assert '$((JOB_COMPLETION_INDEX+1))/$SHARDS' in script
    env = {e["name"]: e["value"] for e in spec["template"]["spec"]["containers"][0]["env"]}
    assert int(env["SHARDS"]) == spec["completions"]
    assert "fleet-intent report merge shard-*.json" in merge["spec"]["template"]["spec"]["containers"][0]["args"][0]
