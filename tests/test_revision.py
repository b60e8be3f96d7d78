"""The per-cluster plan revision: its digest, where `generate` stamps it, how `check` reports it."""

from __future__ import annotations

import datetime as dt

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
