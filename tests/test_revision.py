"""The per-cluster plan revision: its digest, where `generate` stamps it, how `check` reports it."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import hcl2
import pytest
import yaml

from conftest import EXAMPLE, NOW
from generate_support import parse, render, unquote
from intent.errors import IntentError
from intent.load import parse_intent
from intent.plan import REVISION_ANNOTATION, is_revision, plan_fleet, plan_revision

CHECKOUT_HOSTS = {"prod-use1", "stage-use1", "prod-euw1", "dev-weu"}  # teams [checkout] or ["*"]


def example_data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def revisions(data: dict | None = None, now: dt.datetime = NOW) -> dict[str, str]:
    raw = EXAMPLE.read_bytes() if data is None else yaml.safe_dump(data, sort_keys=False).encode()
    fleet = plan_fleet(parse_intent(raw, "intent.yaml", now).intent, now)
    return {plan.name: plan_revision(plan) for plan in fleet.clusters}


def test_revision_is_a_short_digest_and_stable_across_runs():
    first = revisions()
    assert all(is_revision(r) and len(r) == len("sha256:") + 16 for r in first.values())
    assert revisions() == first
    assert len(set(first.values())) == len(first)  # every cluster's plan differs here
    # The run's date enters only through the plan: a day later, nothing expires, nothing changes.
    assert revisions(now=NOW + dt.timedelta(days=1)) == first


def test_a_change_to_one_team_changes_only_the_clusters_it_reaches():
    before = revisions()
    data = example_data()
    checkout = next(t for t in data["teams"] if t["name"] == "checkout")
    checkout["access"][0]["aws"].append("arn:aws:iam::111122223333:role/checkout-oncall")
    checkout["namespaces"].append({"name": "checkout-jobs"})
    after = revisions(data)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == CHECKOUT_HOSTS


def test_a_principal_for_one_provider_changes_only_that_providers_hosts():
    # checkout's edit grant gains an Azure principal: of its hosts only dev-weu is AKS.
    before = revisions()
    data = example_data()
    data["teams"][1]["access"][1]["azure"].append("servicePrincipal:6f1c2d3e-0000-4000-8000-0000000000aa")
    after = revisions(data)
    assert {n for n in before if before[n] != after[n]} == {"dev-weu"}


def test_team_owners_and_intent_order_change_no_revision():
    before = revisions()
    data = example_data()
    data["teams"][1]["owners"] = ["someone-else@acme.example"]  # routes findings, nothing on a cluster
    data["teams"].reverse()
    for team in data["teams"]:
        team["access"].reverse()
    assert revisions(data) == before


def test_an_exception_expiring_changes_the_revision_of_its_clusters_only():
    before = revisions()
    later = revisions(now=dt.datetime(2027, 7, 1, tzinfo=dt.timezone.utc))  # EXC-042 expired
    assert {n for n in before if before[n] != later[n]} == {"prod-use1", "legacy-usw2"}



# --- generate: the annotation in the namespaces module ------------------------------------------

def module_call(files: dict[str, str], cluster: str) -> dict:
    parsed = hcl2.loads(files[f"clusters/{cluster}/namespaces.tf"])
    return parsed["module"][0]['"namespaces"']


def test_each_root_passes_its_own_revision_to_the_namespaces_module():
    files = render(parse(example_data()))
    for cluster, revision in revisions().items():
        assert unquote(module_call(files, cluster)["revision"]) == revision


def test_the_module_stamps_the_revision_on_every_namespace_after_the_intents_annotations():
    files = render(parse(example_data()))
    resource = hcl2.loads(files["modules/namespaces/main.tf"])["resource"][0]['"kubernetes_namespace_v1"']['"this"']
    annotations = resource["metadata"][0]["annotations"]
    # merge(the intent's annotations, {revision}): the later map wins, so nothing overrides it.
    assert annotations.startswith("${merge(each.value.annotations, {")
    assert f'"{REVISION_ANNOTATION}" = var.revision' in annotations
    variables = {k.strip('"'): v for item in hcl2.loads(files["modules/namespaces/variables.tf"])["variable"] for k, v in item.items()}
    assert variables["revision"]["type"] == "string"


def test_a_change_to_one_team_rewrites_only_the_namespaces_files_of_its_hosts():
    data = example_data()
    before = render(parse(data))
    data["teams"][1]["access"][0]["aws"].append("arn:aws:iam::111122223333:role/checkout-oncall")
    after = render(parse(data))
    changed_revision = {c for c in revisions() if module_call(before, c)["revision"] != module_call(after, c)["revision"]}
    assert changed_revision == {"prod-use1", "stage-use1"}  # the EKS hosts of checkout
    changed_files = {path for path in after if before.get(path) != after[path]}
    assert {p.split("/")[1] for p in changed_files if p.startswith("clusters/")} == {"prod-use1", "stage-use1"}


# --- validate: the annotation is fleet-intent's ------------------------------------------------

def test_the_revision_annotation_is_reserved():
    data = example_data()
    data["teams"][0]["namespaces"][1]["annotations"] = {REVISION_ANNOTATION: "sha256:0000000000000000", "ok": "1"}
    with pytest.raises(IntentError) as caught:
        parse(data)
    [problem] = caught.value.problems
    assert problem.path == f"teams[0].namespaces[1].annotations.{REVISION_ANNOTATION}"
    assert "reserved" in problem.message and "remove it from annotations" in problem.message


def test_the_reserved_annotation_fails_generate_with_one_line(run, tmp_path):
    data = example_data()
    data["teams"][1]["namespaces"][0]["annotations"][REVISION_ANNOTATION] = "mine"
    intent = tmp_path / "r.yaml"
    intent.write_text(yaml.safe_dump(data, sort_keys=False))
    code, out, err = run("generate", intent, "-o", tmp_path / "out")
    assert code == 2 and "Traceback" not in err and not (tmp_path / "out").exists()
    [line] = [l for l in err.splitlines() if REVISION_ANNOTATION in l]
    assert line.startswith(f"{intent}:") and "teams[1].namespaces[0].annotations" in line


# --- check: the revision each cluster runs --------------------------------------------------------

OLD = "sha256:0123456789abcdef"
COMPLIANT = EXAMPLE.parent / "snapshots" / "compliant"


def stamp(snapshot, cluster: str, value_of) -> None:
    """Annotate the fleet-intent namespaces of `cluster` in `snapshot`: `value_of(i)` gives the
    i-th one's revision (None: leave it without)."""
    path = snapshot / cluster / "kubernetes" / "namespaces.json"
    document = json.loads(path.read_text())
    managed = [i for i in document["items"] if i["metadata"]["labels"].get("app.kubernetes.io/managed-by") == "fleet-intent"]
    assert len(managed) >= 2
    for n, item in enumerate(managed):
        value = value_of(n)
        if value is not None:
            item["metadata"].setdefault("annotations", {})[REVISION_ANNOTATION] = value
    path.write_text(json.dumps(document))


@pytest.fixture
def stamped(tmp_path):
    """The compliant snapshot with prod-use1 stamped from an old plan, stage-use1 current,
    legacy-usw2 half old half current, prod-euw1 hand-edited, and the AKS clusters unstamped."""
    snapshot = tmp_path / "snapshot"
    shutil.copytree(COMPLIANT, snapshot)
    current = revisions()
    stamp(snapshot, "prod-use1", lambda n: OLD)
    stamp(snapshot, "stage-use1", lambda n: current["stage-use1"])
    stamp(snapshot, "legacy-usw2", lambda n: OLD if n % 2 else current["legacy-usw2"])
    stamp(snapshot, "prod-euw1", lambda n: "[bold]v2[/bold]")
    return snapshot


def check(run, snapshot, *extra):
    return run("check", EXAMPLE, "--snapshot", snapshot, "--now", "2026-11-26", *extra)


def test_check_json_reports_the_revision_found_against_the_current_one(run, stamped):
    code, out, err = check(run, stamped, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    current = revisions()
    assert {c["name"]: c["revision"] for c in report["clusters"]} == {
        "prod-use1": {"current": current["prod-use1"], "found": OLD},
        "stage-use1": {"current": current["stage-use1"], "found": current["stage-use1"]},
        "legacy-usw2": {"current": current["legacy-usw2"], "found": "mixed"},
        "prod-euw1": {"current": current["prod-euw1"], "found": "invalid"},
        "prod-weu": {"current": current["prod-weu"], "found": "none"},
        "dev-weu": {"current": current["dev-weu"], "found": "none"},
    }


def test_a_revision_is_not_a_finding(run, stamped):
    _, plain, _ = check(run, COMPLIANT, "--format", "json")
    _, annotated, _ = check(run, stamped, "--format", "json")
    assert json.loads(annotated)["findings"] == json.loads(plain)["findings"] == []


def test_check_table_names_the_clusters_behind_and_counts_the_unstamped_quietly(run, stamped):
    code, out, _ = check(run, stamped)
    assert code == 0
    current = revisions()
    lines = out.splitlines()
    assert f"prod-use1 runs revision {OLD}, the intent is at {current['prod-use1']}" in lines
    assert f"legacy-usw2 runs mixed revisions (its namespaces disagree), the intent is at {current['legacy-usw2']}" in lines
    assert f"prod-euw1 carries a revision annotation that is not a revision, the intent is at {current['prod-euw1']}" in lines
    assert "2 cluster(s) carry no revision annotation" in lines
    assert "[bold]" not in out and "v2" not in out  # the cluster's own value never reaches the report
    assert not any(line.startswith("stage-use1 runs") for line in lines)
    assert not any(line.startswith(("prod-weu", "dev-weu")) and "revision" in line for line in lines)


def test_check_table_of_a_fleet_without_revisions_says_so_in_one_line(run):
    _, out, _ = check(run, COMPLIANT)
    lines = out.splitlines()[1:]  # the first names the intent's path
    assert [line for line in lines if "revision" in line] == ["6 cluster(s) carry no revision annotation"]


def test_html_report_lists_the_clusters_behind(run, stamped):
    _, out, _ = check(run, stamped, "--format", "html")
    assert f"prod-use1 runs revision {OLD}" in out and 'id="revisions"' in out


# --- report merge: reports with and without revisions --------------------------------------------

def test_merge_accepts_reports_with_and_without_revisions(run, stamped, tmp_path):
    new = tmp_path / "new.json"
    old = tmp_path / "old.json"
    _, out, _ = check(run, stamped, "--format", "json")
    new.write_text(out)
    before = json.loads(out)
    for cluster in before["clusters"]:
        del cluster["revision"]  # what check wrote before revisions
    old.write_text(json.dumps(before))
    for files in ((old, new), (new, old)):
        code, merged, err = run("report", "merge", *files, "--format", "json")
        assert code == 0, err
        assert json.loads(merged)["clusters"] == json.loads(out)["clusters"]  # the revisions are kept
    code, merged, err = run("report", "merge", old, old, "--format", "json")
    assert code == 0 and all("revision" not in c for c in json.loads(merged)["clusters"])


@pytest.mark.parametrize(
    "revision, status, cause",
    [
        ({"current": OLD, "found": "garbage"}, "ok", "clusters[0].revision.found 'garbage' is not a revision"),
        ({"current": "v1", "found": OLD}, "ok", "clusters[0].revision.current 'v1' is not a revision"),
        ({"current": OLD, "found": OLD, "by": "x"}, "ok", "clusters[0].revision: unknown field 'by'"),
        ({"current": OLD}, "ok", "clusters[0].revision: missing field 'found'"),
        ("sha256:0123456789abcdef", "ok", "clusters[0].revision is not a JSON object"),
        ({"current": OLD, "found": OLD}, "unreadable", "for a cluster that is unreadable"),
    ],
)
def test_merge_refuses_a_revision_check_could_not_have_written(run, tmp_path, revision, status, cause):
    cluster = {"name": "prod-use1", "provider": "eks", "status": status, "revision": revision}
    findings = []
    if status == "unreadable":
        findings = [{"rule": "FI-COLLECT-001", "severity": "high", "cluster": "prod-use1", "provider": "eks",
                     "namespace": None, "object": "Cluster/prod-use1", "expected": None, "actual": None,
                     "message": "m", "team": None, "owner": None, "remediation": "r"}]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 1, "intent": {"path": "i.yaml", "sha256": "0" * 64},
                               "clusters": [cluster], "findings": findings}))
    code, out, err = run("report", "merge", bad)
    assert code == 2 and out == "" and "Traceback" not in err
    [line] = err.strip().splitlines()
    assert line.startswith(f"error: {bad}: not a valid fleet-intent JSON report: ") and cause in line
