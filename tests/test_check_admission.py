"""The admission part of `check` (SPEC §13): FI-ADM-001/002 on in-memory edits of the compliant
snapshot, the snapshot layout's admission documents, and intents without `admission:`."""

from __future__ import annotations

import copy
import json
import shutil

import pytest

from conftest import EXAMPLE, FIXTURES, NOW, invoke_cli

COMPLIANT = FIXTURES / "snapshots" / "compliant"
ORG = "platform-security@acme.example"
POLICIES = "kubernetes/validatingadmissionpolicies.json"
BINDINGS = "kubernetes/validatingadmissionpolicybindings.json"
PARAMS = "kubernetes/admission-params.json"
FLOOR = "fleet-intent-psa-floor"
GUARD = "fleet-intent-cluster-admin-guard"
AWS_AUTH_GUARD = "fleet-intent-aws-auth-guard"


def fleet_of(text: str):
    from intent.plan import plan_fleet

    return plan_fleet(load_intent_text(text), NOW)


def load_intent_text(text: str):
    import tempfile
    from pathlib import Path

    from intent.load import load_intent

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "intent.yaml"
        path.write_text(text, encoding="utf-8")
        return load_intent(str(path), NOW).intent


def example_text(mode: str | None = "warn") -> str:
    """The bundled example, in another admission mode or (None) without an admission block."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.rstrip().endswith("admission:\n  mode: warn")
    head = text.rstrip()[: -len("admission:\n  mode: warn")]
    return head + (f"admission:\n  mode: {mode}\n" if mode else "")


@pytest.fixture(scope="module")
def fleet():
    return fleet_of(example_text())


def cluster_docs(fleet, name):
    from intent.observe.snapshot import SnapshotDirSource

    plan = fleet.cluster(name)
    return plan, copy.deepcopy(SnapshotDirSource(str(COMPLIANT)).read_cluster(plan))


def check(plan, docs) -> list:
    from intent.check.run import check_cluster

    status, findings = check_cluster(plan, docs)
    assert status == "ok", findings
    return findings


def adm(findings) -> dict[str, object]:
    """The FI-ADM-* findings by object."""
    found = {f.object: f for f in findings if f.rule.startswith("FI-ADM-")}
    assert len(found) == len([f for f in findings if f.rule.startswith("FI-ADM-")])
    return found


def item(docs, rel, name):
    [found] = [i for i in docs[rel]["items"] if i["metadata"]["name"] == name]
    return found


def test_compliant_every_cluster_reads_its_policies_and_has_no_findings(fleet):
    from intent.check.run import observe

    for plan in fleet.clusters:
        plan, docs = cluster_docs(fleet, plan.name)
        assert check(plan, docs) == [], plan.name
        seen = observe(plan, docs).admission
        wanted = {FLOOR, GUARD} | ({AWS_AUTH_GUARD} if plan.name in ("legacy-usw2", "stage-use1") else set())
        assert seen.served and {p.name for p in seen.policies} == wanted
        assert {b.name for b in seen.bindings} == wanted
        assert {c.name for c in seen.params} == {FLOOR, GUARD}
        # The API server's defaults are gone from what was read.
        floor = seen.policy(FLOOR).spec["matchConstraints"]
        assert "matchPolicy" not in floor and all("scope" not in r for r in floor["resourceRules"])


def test_observed_admission_dumps_to_json(fleet):
    from intent.check.run import observe

    plan, docs = cluster_docs(fleet, "prod-euw1")
    dumped = json.loads(json.dumps(observe(plan, docs).to_dict()))["admission"]
    guard = next(c for c in dumped["params"] if c["name"] == GUARD)
    assert sorted(guard["data"].values()) == ["Group:platform-admins@acme.example", "Group:system:masters"]
    assert {b["name"]: b["validation_actions"] for b in dumped["bindings"]} == {FLOOR: ["Warn", "Audit"], GUARD: ["Warn", "Audit"]}


@pytest.mark.parametrize(
    "change, fields",
    [
        (lambda spec: spec.setdefault("matchConditions", []).append({"name": "never", "expression": "false"}),
         "spec.matchConditions"),
        (lambda spec: spec.__setitem__("failurePolicy", "Ignore"), "spec.failurePolicy"),
        (lambda spec: spec["validations"][0].__setitem__("expression", "true"), "spec.validations"),
        (lambda spec: spec["matchConstraints"].__setitem__("matchPolicy", "Exact"), "spec.matchConstraints"),
        (lambda spec: spec["matchConstraints"].__setitem__("namespaceSelector", {"matchLabels": {"guard": "on"}}),
         "spec.matchConstraints"),
        (lambda spec: spec["matchConstraints"]["resourceRules"][0].__setitem__("scope", "Namespaced"),
         "spec.matchConstraints"),
        (lambda spec: spec.pop("paramKind"), "spec.paramKind"),
    ],
    ids=["added-match-condition", "fail-open", "changed-expression", "match-policy-exact", "namespace-selector",
         "rule-scope", "no-param-kind"],
)
def test_tampered_policy_is_fi_adm_001(fleet, change, fields):
    plan, docs = cluster_docs(fleet, "prod-euw1")
    change(item(docs, POLICIES, GUARD)["spec"])

    found = adm(check(plan, docs))

    assert set(found) == {f"ValidatingAdmissionPolicy/{GUARD}"}
    finding = found[f"ValidatingAdmissionPolicy/{GUARD}"]
    assert (finding.rule, finding.severity.value, finding.team, finding.namespace, finding.owner) == (
        "FI-ADM-001", "high", None, None, ORG)
    assert f"({fields})" in finding.message
    assert finding.expected.startswith(fields + "=") and finding.actual.startswith(fields + "=")
    assert finding.expected != finding.actual


def test_fail_open_policy_says_both_values(fleet):
    plan, docs = cluster_docs(fleet, "legacy-usw2")
    item(docs, POLICIES, AWS_AUTH_GUARD)["spec"]["failurePolicy"] = "Ignore"

    finding = adm(check(plan, docs))[f"ValidatingAdmissionPolicy/{AWS_AUTH_GUARD}"]

    assert (finding.expected, finding.actual) == ("spec.failurePolicy=Fail", "spec.failurePolicy=Ignore")


def test_missing_policy_and_missing_binding(fleet):
    plan, docs = cluster_docs(fleet, "stage-use1")
    docs[POLICIES]["items"] = [i for i in docs[POLICIES]["items"] if i["metadata"]["name"] != AWS_AUTH_GUARD]
    docs[BINDINGS]["items"] = [i for i in docs[BINDINGS]["items"] if i["metadata"]["name"] != FLOOR]

    found = adm(check(plan, docs))

    assert {o: (f.rule, f.expected, f.actual) for o, f in found.items()} == {
        f"ValidatingAdmissionPolicy/{AWS_AUTH_GUARD}": ("FI-ADM-001", "present", "missing"),
        f"ValidatingAdmissionPolicyBinding/{FLOOR}": ("FI-ADM-001", "present", "missing"),
    }
    assert "system:masters" in found[f"ValidatingAdmissionPolicy/{AWS_AUTH_GUARD}"].message


@pytest.mark.parametrize(
    "actions, weaker",
    [(["Audit"], True), (["Warn"], True), ([], True), (["Warn", "Audit"], False), (["Audit", "Warn"], False),
     (["Deny"], False), (["Deny", "Audit"], False)],
)
def test_binding_actions_weaker_than_warn_mode(fleet, actions, weaker):
    plan, docs = cluster_docs(fleet, "prod-weu")
    item(docs, BINDINGS, FLOOR)["spec"]["validationActions"] = actions

    found = adm(check(plan, docs))

    if weaker:
        finding = found[f"ValidatingAdmissionPolicyBinding/{FLOOR}"]
        assert finding.expected == "validationActions=[Warn, Audit]"
        assert finding.actual == "validationActions=[" + ", ".join(actions) + "]"
    else:
        assert found == {}  # a stricter binding than the intent is not drift


def test_deny_intent_against_warn_bindings_is_fi_adm_001_per_binding():
    fleet = fleet_of(example_text("deny"))
    plan, docs = cluster_docs(fleet, "legacy-usw2")

    found = adm(check(plan, docs))

    assert set(found) == {f"ValidatingAdmissionPolicyBinding/{n}" for n in (FLOOR, GUARD, AWS_AUTH_GUARD)}
    assert {(f.expected, f.actual) for f in found.values()} == {
        ("validationActions=[Deny]", "validationActions=[Warn, Audit]")}
    assert all("intent's mode deny" in f.message for f in found.values())


@pytest.mark.parametrize(
    "change, expected, actual",
    [
        (lambda spec: spec.__setitem__("policyName", "something-else"),
         f"policyName={FLOOR}", "policyName=something-else"),
        (lambda spec: spec["paramRef"].__setitem__("parameterNotFoundAction", "Allow"),
         f"paramRef=name={FLOOR},namespace=fleet-intent-system,parameterNotFoundAction=Deny",
         f"paramRef=name={FLOOR},namespace=fleet-intent-system,parameterNotFoundAction=Allow"),
        (lambda spec: spec["paramRef"].__setitem__("name", "my-own-floors"),
         f"paramRef=name={FLOOR},namespace=fleet-intent-system,parameterNotFoundAction=Deny",
         "paramRef=name=my-own-floors,namespace=fleet-intent-system,parameterNotFoundAction=Deny"),
        (lambda spec: spec.__setitem__("matchResources", {"namespaceSelector": {"matchLabels": {"x": "y"}}}),
         "matchResources=(absent)", "matchResources={namespaceSelector}"),
    ],
    ids=["other-policy", "params-not-found-allowed", "other-params", "narrowed"],
)
def test_binding_pointing_elsewhere_or_narrowed(fleet, change, expected, actual):
    plan, docs = cluster_docs(fleet, "dev-weu")
    change(item(docs, BINDINGS, FLOOR)["spec"])

    finding = adm(check(plan, docs))[f"ValidatingAdmissionPolicyBinding/{FLOOR}"]

    assert (finding.rule, finding.expected, finding.actual) == ("FI-ADM-001", expected, actual)


def test_binding_match_resources_with_only_server_defaults_is_no_finding(fleet):
    plan, docs = cluster_docs(fleet, "dev-weu")
    item(docs, BINDINGS, FLOOR)["spec"]["matchResources"] = {
        "matchPolicy": "Equivalent", "namespaceSelector": {}, "objectSelector": {}}

    assert check(plan, docs) == []


def test_params_lowered_raised_added_and_missing_keys(fleet):
    plan, docs = cluster_docs(fleet, "prod-use1")
    data = item(docs, PARAMS, FLOOR)["data"]
    data["payments.enforce"] = "baseline"
    data["checkout.audit"] = "baseline"
    data["default.enforce"] = "privileged"
    del data["version"]

    finding = adm(check(plan, docs))[f"ConfigMap/fleet-intent-system/{FLOOR}"]

    assert (finding.rule, finding.severity.value, finding.team, finding.owner) == ("FI-ADM-002", "medium", None, ORG)
    assert finding.expected == ("checkout.audit=restricted; default.enforce (absent); "
                                "payments.enforce=restricted; version=latest")
    assert finding.actual == ("checkout.audit=baseline; default.enforce=privileged; "
                              "payments.enforce=baseline; version (absent)")
    assert "payments.enforce is baseline, intended restricted (floor lowered)" in finding.message
    assert "default.enforce=privileged added" in finding.message
    assert "version missing (intended latest)" in finding.message


def test_params_floor_raised_is_reported_too(fleet):
    plan, docs = cluster_docs(fleet, "prod-use1")
    item(docs, PARAMS, FLOOR)["data"]["enforce"] = "restricted"

    finding = adm(check(plan, docs))[f"ConfigMap/fleet-intent-system/{FLOOR}"]

    assert "enforce is restricted, intended baseline (floor raised)" in finding.message


def test_cluster_admin_allow_list_compared_by_value(fleet):
    plan, docs = cluster_docs(fleet, "prod-euw1")
    data = item(docs, PARAMS, GUARD)["data"]
    # Another key for the same subject changes nothing the guard reads.
    value = data.pop("Group.platform-admins.acme.example.ff0aced8")
    data["renamed"] = value
    assert check(plan, docs) == []

    del data["renamed"]
    data["x"] = "User:mallory@acme.example"
    finding = adm(check(plan, docs))[f"ConfigMap/fleet-intent-system/{GUARD}"]
    assert finding.expected == "allowed: Group:platform-admins@acme.example; Group:system:masters"
    assert finding.actual == ("extra allowed subject(s) User:mallory@acme.example; "
                              "intended subject(s) not allowed Group:platform-admins@acme.example")


def test_missing_config_map_and_other_namespaces_ignored(fleet):
    plan, docs = cluster_docs(fleet, "prod-weu")
    guard = item(docs, PARAMS, GUARD)
    guard["metadata"]["namespace"] = "default"  # the same name elsewhere is not the parameters

    found = adm(check(plan, docs))

    finding = found[f"ConfigMap/fleet-intent-system/{GUARD}"]
    assert (finding.expected, finding.actual) == ("present (1 keys)", "missing")
    assert set(found) == {f"ConfigMap/fleet-intent-system/{GUARD}"}


def test_hostile_values_stay_on_one_printable_line(fleet):
    plan, docs = cluster_docs(fleet, "prod-weu")
    item(docs, PARAMS, FLOOR)["data"]["enforce"] = "\x1b[31mprivileged\nrestricted" + "x" * 500
    item(docs, POLICIES, FLOOR)["spec"]["failurePolicy"] = "Ignore\r\n\x07"

    for finding in adm(check(plan, docs)).values():
        for text in (finding.message, finding.expected, finding.actual):
            assert text.isprintable(), text
            assert len(text) < 1000


def test_not_served_is_one_fi_adm_001(fleet):
    from intent.observe.kubelive import NOT_SERVED

    plan, docs = cluster_docs(fleet, "prod-euw1")
    docs[POLICIES] = dict(NOT_SERVED)
    docs[BINDINGS] = dict(NOT_SERVED)
    docs[PARAMS]["items"] = []

    found = adm(check(plan, docs))

    served = found["APIResource/admissionregistration.k8s.io/v1/validatingadmissionpolicies"]
    assert (served.rule, served.severity.value, served.expected, served.actual) == (
        "FI-ADM-001", "high", "served (Kubernetes 1.30 or later)", "not served (404)")
    # The parameters are read apart from the API: their absence is said too.
    assert set(found) == {served.object, f"ConfigMap/fleet-intent-system/{FLOOR}", f"ConfigMap/fleet-intent-system/{GUARD}"}


def test_other_status_document_is_collect_error(fleet):
    from intent.check.run import check_cluster

    plan, docs = cluster_docs(fleet, "prod-euw1")
    docs[BINDINGS] = {"kind": "Status", "apiVersion": "v1", "code": 403, "reason": "Forbidden",
                      "message": "validatingadmissionpolicybindings is forbidden:\nUser cannot list"}

    status, [finding] = check_cluster(plan, docs)

    assert status == "unreadable" and finding.rule == "FI-COLLECT-001"
    assert finding.actual.startswith(f"{BINDINGS}: is a Status 403 (Forbidden: validatingadmissionpolicybindings is forbidden")
    assert "\n" not in finding.actual


@pytest.mark.parametrize(
    "rel, edit, cause",
    [
        (POLICIES, lambda d: d["items"][0].__setitem__("spec", []), f"{POLICIES}: items[0].spec is not a JSON object"),
        (BINDINGS, lambda d: d["items"][0]["spec"].__setitem__("validationActions", "Deny"),
         f"{BINDINGS}: items[0].spec.validationActions is not a JSON list"),
        (PARAMS, lambda d: d["items"][0]["data"].__setitem__("k", 1), f"{PARAMS}: items[0].data.k is not a string"),
        (POLICIES, lambda d: d.pop("items"), f"{POLICIES}: is not a kubectl List (no 'items')"),
    ],
)
def test_malformed_admission_documents_are_collect_errors(fleet, rel, edit, cause):
    from intent.check.run import check_cluster

    plan, docs = cluster_docs(fleet, "prod-weu")
    edit(docs[rel])

    status, [finding] = check_cluster(plan, docs)

    assert (status, finding.rule, finding.actual) == ("unreadable", "FI-COLLECT-001", cause)


def check_json(capsys, intent, snapshot, *extra):
    code, out, _ = invoke_cli(capsys, "check", intent, "--snapshot", snapshot, "--format", "json", "--now", "2026-11-26", *extra)
    return code, json.loads(out)


@pytest.mark.parametrize("rel", [POLICIES, BINDINGS])
def test_snapshot_without_policies_or_bindings_is_unreadable_naming_the_file(capsys, tmp_path, rel):
    snap = tmp_path / "snap"
    shutil.copytree(COMPLIANT, snap)
    (snap / "prod-use1" / rel).unlink()

    code, report = check_json(capsys, EXAMPLE, snap, "--cluster", "prod-use1")

    [finding] = report["findings"]
    assert finding["rule"] == "FI-COLLECT-001" and finding["actual"].endswith(f"prod-use1/{rel}: missing from the snapshot")
    assert code == 1


def test_snapshot_without_params_document_reports_the_config_maps_missing(capsys, tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(COMPLIANT, snap)
    (snap / "prod-use1" / PARAMS).unlink()

    code, report = check_json(capsys, EXAMPLE, snap, "--cluster", "prod-use1")

    assert {(f["rule"], f["object"], f["actual"]) for f in report["findings"]} == {
        ("FI-ADM-002", f"ConfigMap/fleet-intent-system/{FLOOR}", "missing"),
        ("FI-ADM-002", f"ConfigMap/fleet-intent-system/{GUARD}", "missing"),
    }
    assert all("admission-params.json" in f["message"] for f in report["findings"])
    assert code == 0  # medium: below the default --fail-on high


def test_intent_without_admission_reads_nothing_and_needs_no_admission_files(capsys, tmp_path):
    intent = tmp_path / "intent.yaml"
    intent.write_text(example_text(None), encoding="utf-8")
    snap = tmp_path / "snap"
    shutil.copytree(COMPLIANT, snap)
    for rel in (POLICIES, BINDINGS, PARAMS):
        for file in snap.glob(f"*/{rel}"):
            file.unlink()

    code, report = check_json(capsys, intent, snap)

    assert report["findings"] == [] and code == 0
    fleet = fleet_of(example_text(None))
    plan, docs = cluster_docs(fleet, "prod-use1")
    from intent.check.run import observe

    assert observe(plan, docs).admission is None
    from intent.observe.snapshot import optional_documents, required_documents

    assert not {POLICIES, BINDINGS, PARAMS} & set(required_documents(plan) + optional_documents(plan))


def test_explain_knows_the_admission_rules(capsys):
    for rule, severity in (("FI-ADM-001", "high"), ("FI-ADM-002", "medium")):
        code, out, _ = invoke_cli(capsys, "explain", rule)
        assert code == 0
        assert out.startswith(f"{rule}: ") and f"severity: {severity}" in out


def test_reports_carry_the_admission_rules(capsys):
    """SARIF rules, JUnit failures and the HTML matrix come from the catalogue."""
    import xml.etree.ElementTree as ET

    variant = FIXTURES / "snapshots" / "admission-weakened"
    _, sarif, _ = invoke_cli(capsys, "check", EXAMPLE, "--snapshot", variant, "--format", "sarif", "--now", "2026-11-26")
    run = json.loads(sarif)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert {"FI-ADM-001", "FI-ADM-002"} <= set(rules)
    assert {r["ruleId"] for r in run["results"]} == {"FI-ADM-001"}
    _, junit, _ = invoke_cli(capsys, "check", EXAMPLE, "--snapshot", variant, "--format", "junit", "--now", "2026-11-26")
    failures = [f for f in ET.fromstring(junit).iter("failure")]
    assert sum("FI-ADM-001" in (f.get("message", "") + (f.text or "") + f.get("type", "")) for f in failures) == 2
    _, html, _ = invoke_cli(capsys, "check", EXAMPLE, "--snapshot", variant, "--format", "html", "--now", "2026-11-26")
    assert "FI-ADM-001" in html and "Admission policy missing or weakened" in html
