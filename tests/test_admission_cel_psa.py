"""The PSA floor policy (`fleet-intent-psa-floor`, SPEC §13) judged by a real CEL runtime
(tests/admission_cel.py) over namespaces it must admit and must reject. The policy and its
parameters are the committed out/clusters/<c>/manifests/admission.yaml of the bundled example,
or freshly generated where a case needs another intent.

The example's floors (fixtures/example.yaml): org baseline enforce=baseline, audit=restricted,
warn=restricted, version latest; payments enforce=restricted; data-warehouse version v1.30;
EXC-042 lowers payments-batch to enforce=privileged on prod-use1 and legacy-usw2 until 2027-06-30.
"""

from __future__ import annotations

import pytest

from admission_cel import Request, Verdict, committed_documents, generated_documents, judge, judge_in, named, outcome, params_for
from conftest import NOW
from generate_support import example_data
from intent.admission import PSA_FLOOR

P = "pod-security.kubernetes.io/"
BASELINE = {"enforce": "baseline", "audit": "restricted", "warn": "restricted"}  # the example's org baseline
RESTRICTED = {"enforce": "restricted", "audit": "restricted", "warn": "restricted"}


committed = committed_documents


def namespace(name: str, levels: dict[str, str] | None = None, versions: dict[str, str] | None = None, **metadata) -> dict:
    """A Namespace whose PSA labels are `levels` (mode -> level) and `versions` (mode -> version)."""
    labels = {f"{P}{mode}": level for mode, level in (levels or {}).items()}
    labels.update({f"{P}{mode}-version": version for mode, version in (versions or {}).items()})
    meta = {"name": name, **metadata}
    if levels is not None or versions is not None:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def floor(documents: list[dict], obj: dict, operation: str = "CREATE", old: dict | None = None) -> Verdict:
    return judge_in(documents, PSA_FLOOR, Request(operation, "namespaces", obj, old_object=old))


def levels(**changes: str) -> dict[str, str]:
    return {**BASELINE, **changes}


# (cluster, namespace object, admitted?) over the committed example.
TABLE = [
    # Managed namespaces at, above and below their floors.
    ("legacy-usw2", namespace("payments", RESTRICTED), True),
    ("legacy-usw2", namespace("payments", RESTRICTED, {"enforce": "latest", "audit": "latest", "warn": "latest"}), True),
    ("legacy-usw2", namespace("data-ingest", BASELINE), True),
    ("legacy-usw2", namespace("data-ingest", RESTRICTED), True),  # stricter than the floor
    ("legacy-usw2", namespace("payments", levels(enforce="baseline")), False),  # restricted floor
    ("legacy-usw2", namespace("payments", {**RESTRICTED, "enforce": "privileged"}), False),
    ("legacy-usw2", namespace("data-ingest", levels(audit="baseline")), False),
    ("legacy-usw2", namespace("data-ingest", levels(warn="privileged")), False),
    ("legacy-usw2", namespace("data-ingest", levels(enforce="privileged")), False),
    # Missing labels.
    ("legacy-usw2", namespace("data-ingest", {"audit": "restricted", "warn": "restricted"}), False),
    ("legacy-usw2", namespace("data-ingest", {"enforce": "baseline", "warn": "restricted"}), False),
    ("legacy-usw2", namespace("data-ingest", {"enforce": "baseline", "audit": "restricted"}), False),
    ("legacy-usw2", namespace("data-ingest"), False),  # no labels at all
    ("legacy-usw2", namespace("data-ingest", {}), False),  # an empty label map
    # Misspelled levels are no level (PSA itself rejects them: case and spaces matter).
    ("legacy-usw2", namespace("payments", {**RESTRICTED, "enforce": "Restricted"}), False),
    ("legacy-usw2", namespace("payments", {**RESTRICTED, "enforce": "restricted "}), False),
    ("legacy-usw2", namespace("payments", {**RESTRICTED, "enforce": " restricted"}), False),
    ("legacy-usw2", namespace("payments", {**RESTRICTED, "audit": "RESTRICTED"}), False),
    ("legacy-usw2", namespace("payments", {**RESTRICTED, "warn": "strict"}), False),
    ("legacy-usw2", namespace("payments", {**RESTRICTED, "enforce": ""}), False),
    # Versions against data-warehouse's floor v1.30 (missing = latest, which is newest).
    ("legacy-usw2", namespace("data-warehouse", BASELINE), True),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "v1.30"}), True),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "v1.31"}), True),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "v1.100"}), True),  # not a string comparison
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "latest", "audit": "v1.30", "warn": "v1.31"}), True),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "v1.29"}), False),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "v1.9"}), False),  # "v1.9" > "v1.30" as text
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "v1.3"}), False),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"audit": "v1.29"}), False),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"warn": "v1.0"}), False),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "v1.030"}), False),  # leading zero: invalid
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "v1.31 "}), False),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "1.31"}), False),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "v2.0"}), False),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "Latest"}), False),
    ("legacy-usw2", namespace("data-warehouse", BASELINE, {"enforce": "v1.31x"}), False),
    # A floor of latest admits no pinned version at all.
    ("legacy-usw2", namespace("payments", RESTRICTED, {"enforce": "v1.31"}), False),
    ("legacy-usw2", namespace("payments", RESTRICTED, {"audit": "v1.999"}), False),
    # Ignored namespaces (EKS: kube-system, kube-public, kube-node-lease and the AWS add-ons'),
    # matched whole: a name that merely contains an ignored one is judged.
    ("legacy-usw2", namespace("kube-system"), True),
    ("legacy-usw2", namespace("kube-public", {"enforce": "privileged"}), True),
    ("legacy-usw2", namespace("amazon-cloudwatch"), True),
    ("legacy-usw2", namespace("kube-system2"), False),
    ("legacy-usw2", namespace("my-kube-system"), False),
    # GKE's ignore globs: gke-* and config-management-*.
    ("prod-euw1", namespace("gke-foo"), True),
    ("prod-euw1", namespace("gke-managed-system", {"enforce": "privileged"}), True),
    ("prod-euw1", namespace("config-management-monitoring"), True),
    ("prod-euw1", namespace("gke"), False),
    ("prod-euw1", namespace("xgke-foo"), False),
    ("legacy-usw2", namespace("gke-foo"), False),  # not ignored on EKS
    # Namespaces the intent does not name are held to the org baseline.
    ("legacy-usw2", namespace("team-x", BASELINE), True),
    ("legacy-usw2", namespace("team-x", RESTRICTED), True),
    ("legacy-usw2", namespace("team-x", levels(enforce="privileged")), False),
    ("legacy-usw2", namespace("team-x", levels(audit="baseline")), False),
    ("legacy-usw2", namespace("team-x", BASELINE, {"enforce": "v1.31"}), False),  # baseline version is latest
    ("legacy-usw2", namespace("checkout", BASELINE), True),  # checkout is not on legacy-usw2: baseline floor
    ("prod-euw1", namespace("checkout", BASELINE), False),  # but is managed (restricted) on prod-euw1
    # A namespace being deleted: its finalizers are removed by updates that must go through.
    ("legacy-usw2", namespace("payments", {"enforce": "privileged"}, deletionTimestamp="2026-11-26T10:00:00Z"), True),
    ("legacy-usw2", namespace("team-x", deletionTimestamp="2026-11-26T10:00:00Z"), True),
    # EXC-042: payments-batch may enforce privileged on prod-use1 and legacy-usw2, not elsewhere.
    ("prod-use1", namespace("payments-batch", levels(enforce="privileged")), True),
    ("legacy-usw2", namespace("payments-batch", levels(enforce="privileged")), True),
    ("prod-use1", namespace("payments-batch", levels(enforce="privileged", audit="baseline")), False),  # audit stays
    ("prod-euw1", namespace("payments-batch", levels(enforce="privileged")), False),
    ("prod-euw1", namespace("payments-batch", BASELINE), True),
]


@pytest.mark.parametrize(("cluster", "obj", "admitted"), TABLE, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(TABLE)])
def test_psa_floor_table(cluster, obj, admitted):
    verdict = floor(committed(cluster), obj)
    assert verdict.matched
    assert verdict.admitted == admitted, verdict.violations
    assert not verdict.errors, verdict.errors  # rejections are the policy's own, never an evaluation error


def test_update_is_judged_like_a_create():
    docs = committed("legacy-usw2")
    old = namespace("payments", RESTRICTED)
    assert floor(docs, namespace("payments", RESTRICTED), "UPDATE", old).admitted
    weakened = floor(docs, namespace("payments", levels(enforce="privileged")), "UPDATE", old)
    assert weakened.violations == [
        "namespace payments: pod-security.kubernetes.io/enforce must be restricted or stricter (fleet-intent security intent)"
    ]


def test_messages_name_the_namespace_the_label_and_the_floor():
    verdict = floor(committed("legacy-usw2"), namespace("data-warehouse", levels(audit="Restricted"), {"warn": "v1.29"}))
    assert verdict.violations == [
        "namespace data-warehouse: pod-security.kubernetes.io/audit must be restricted or stricter (fleet-intent security intent)",
        "namespace data-warehouse: pod-security.kubernetes.io/warn-version must be v1.30 or newer (fleet-intent security intent)",
    ]
    unlabelled = floor(committed("legacy-usw2"), namespace("payments"))
    assert len(unlabelled.violations) == 3 and not unlabelled.errors


def test_delete_is_not_matched():
    verdict = floor(committed("legacy-usw2"), namespace("payments"), "DELETE")
    assert not verdict.matched and verdict.admitted


def test_the_parameters_namespace_meets_its_own_floor():
    for cluster in ("prod-use1", "legacy-usw2", "prod-euw1", "dev-weu"):
        docs = committed(cluster)
        ns = next(d for d in docs if d["kind"] == "Namespace")
        assert floor(docs, ns).admitted, cluster


def test_every_managed_namespace_as_planned_is_admitted_on_every_cluster():
    from conftest import EXAMPLE
    from intent.load import load_intent
    from intent.plan import plan_fleet

    checked = 0
    for plan in plan_fleet(load_intent(str(EXAMPLE), NOW).intent, NOW).clusters:
        docs = committed(plan.cluster.name)
        for ns in plan.namespaces:
            obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns.name, "labels": dict(ns.labels)}}
            assert floor(docs, obj).admitted, (plan.cluster.name, ns.name)
            checked += 1
    assert checked >= 10


def test_an_expired_exception_regenerated_no_longer_admits_privileged():
    data = example_data()
    data["exceptions"][0]["expires"] = "2026-01-01"  # before NOW (2026-11-26)
    docs = generated_documents(data, "prod-use1")
    assert named(docs, "ConfigMap", PSA_FLOOR)["data"]["payments-batch.enforce"] == "baseline"
    privileged = floor(docs, namespace("payments-batch", levels(enforce="privileged")))
    assert privileged.violations == [
        "namespace payments-batch: pod-security.kubernetes.io/enforce must be baseline or stricter (fleet-intent security intent)"
    ]
    assert floor(docs, namespace("payments-batch", BASELINE)).admitted
    # The unexpired exception, same intent otherwise: admitted.
    assert floor(committed("prod-use1"), namespace("payments-batch", levels(enforce="privileged"))).admitted


def test_a_managed_namespace_matching_an_ignore_glob_is_still_judged():
    data = example_data()
    data["ignoreNamespaces"] = ["kube-system", "pay*"]
    docs = generated_documents(data, "prod-use1")
    assert named(docs, "ConfigMap", PSA_FLOOR)["data"]["ignore"] == "^(kube-system|pay.*)$"
    assert not floor(docs, namespace("payments")).admitted  # managed: judged against its own floor
    assert not floor(docs, namespace("payments-batch", {"enforce": "privileged"})).admitted
    assert floor(docs, namespace("paywall")).admitted  # unmanaged and ignored
    assert not floor(docs, namespace("amazon-cloudwatch")).admitted  # the defaults are replaced, not added to


def test_without_ignored_namespaces_every_namespace_is_judged():
    data = example_data()
    data["ignoreNamespaces"] = []
    docs = generated_documents(data, "prod-use1")
    assert "ignore" not in named(docs, "ConfigMap", PSA_FLOOR)["data"]
    assert not floor(docs, namespace("kube-system")).admitted
    assert floor(docs, namespace("kube-system", BASELINE)).admitted


def test_missing_parameters_refuse_everything():
    docs = committed("legacy-usw2")
    policy = named(docs, "ValidatingAdmissionPolicy", PSA_FLOOR)
    verdict = judge(policy, Request("CREATE", "namespaces", namespace("payments", RESTRICTED)), params=None)
    assert not verdict.admitted  # parameterNotFoundAction: Deny


def test_the_binding_decides_whether_a_violation_is_refused():
    weaker = namespace("payments", levels(enforce="privileged"))
    warn_docs = committed("legacy-usw2")  # the example is in warn mode
    verdict = floor(warn_docs, weaker)
    assert outcome(verdict, named(warn_docs, "ValidatingAdmissionPolicyBinding", PSA_FLOOR)) == "admitted with warnings"
    data = example_data()
    data["admission"] = {"mode": "deny"}
    deny_docs = generated_documents(data, "legacy-usw2")
    binding = named(deny_docs, "ValidatingAdmissionPolicyBinding", PSA_FLOOR)
    assert outcome(judge_in(deny_docs, PSA_FLOOR, Request("CREATE", "namespaces", weaker)), binding) == "denied"
    assert params_for(binding, deny_docs) == named(deny_docs, "ConfigMap", PSA_FLOOR)


def test_every_validation_is_seen_passing_and_failing():
    """Each of the six validations (three levels, three versions) fails for some row of the
    table and passes for another, so none is vacuous."""
    policy = named(committed("legacy-usw2"), "ValidatingAdmissionPolicy", PSA_FLOOR)
    messages = {v["message"] for v in policy["spec"]["validations"]}
    failed: set[str] = set()
    for cluster, obj, _ in TABLE:
        docs = committed(cluster)
        for text in floor(docs, obj).violations:
            key = text.split(": ")[1].split(" must")[0]  # the label named in the message
            failed.add(key)
    assert failed == {f"{P}{m}" for m in ("enforce", "audit", "warn")} | {f"{P}{m}-version" for m in ("enforce", "audit", "warn")}
    assert len(messages) == 6
