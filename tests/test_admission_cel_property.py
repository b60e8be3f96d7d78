"""Property (SPEC §13, issue 13 "Prove it"): for random intents — baseline levels and version,
per-namespace overrides, an exception that applies or has expired — a namespace labelled
exactly at the effective level the plan gives it is admitted by the generated PSA floor policy,
evaluated by a real CEL runtime (tests/admission_cel.py), and one a level weaker in any one
mode, or pinned to an older version, is rejected. The same for a namespace the intent does not
name, against the org baseline."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admission_cel import Request, judge, named, params_for
from conftest import NOW
from generate_support import example_data, parse
from intent.admission import PSA_FLOOR, admission_objects
from intent.model import PSA_MODES, Level
from intent.plan import MANAGED_BY_LABEL, PSA_PREFIX, PodSecurity, plan_fleet

LEVELS = [level.value for level in Level]  # privileged < baseline < restricted
CLUSTERS = ["prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu"]
_VERSION = st.one_of(st.just("latest"), st.integers(0, 40).map(lambda n: f"v1.{n}"))


@st.composite
def intents(draw) -> tuple[dict, str]:
    """Intent data (the bundled example's teams and clusters, random pod security) and a cluster."""
    data = example_data()
    data["admission"] = {"mode": draw(st.sampled_from(["deny", "warn", "audit"]))}
    baseline = {"enforce": draw(st.sampled_from(LEVELS)), "version": draw(_VERSION)}
    for mode in ("audit", "warn"):
        if draw(st.booleans()):
            baseline[mode] = draw(st.sampled_from(LEVELS))
    data["podSecurity"] = baseline
    floor = {m: baseline.get(m, baseline["enforce"]) for m in PSA_MODES}
    for team in data["teams"]:
        for ns in team["namespaces"]:
            override = {}
            for mode in PSA_MODES:
                if draw(st.booleans()):  # a namespace may only be as strict or stricter
                    override[mode] = draw(st.sampled_from(LEVELS[LEVELS.index(floor[mode]):]))
            if draw(st.booleans()):
                override["version"] = draw(_VERSION)
            if override:
                ns["podSecurity"] = override
            else:
                ns.pop("podSecurity", None)
    exception = data["exceptions"][0]  # payments-batch
    exception["podSecurity"] = draw(st.dictionaries(st.sampled_from(PSA_MODES), st.sampled_from(LEVELS), min_size=1))
    if draw(st.booleans()):
        exception["podSecurity"]["version"] = draw(_VERSION)
    exception["expires"] = draw(st.sampled_from(["2026-01-01", "2026-11-26", "2027-06-30"]))  # NOW is 2026-11-26
    return data, draw(st.sampled_from(CLUSTERS))


def _namespace(name: str, psa: PodSecurity, **changed: str) -> dict:
    labels = {MANAGED_BY_LABEL: "fleet-intent", **psa.labels()}
    labels.update({f"{PSA_PREFIX}{key}": value for key, value in changed.items()})
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _weaker(psa: PodSecurity) -> list[dict[str, str]]:
    """Every single-label change that makes `psa` weaker: one mode a level lower, or one
    mode's version older (for `latest`, any pinned version is older)."""
    out = []
    for mode in PSA_MODES:
        rank = LEVELS.index(psa.level(mode).value)
        if rank > 0:
            out.append({mode: LEVELS[rank - 1]})
        if psa.version == "latest":
            out.append({f"{mode}-version": "v1.40"})
        elif psa.version != "v1.0":
            out.append({f"{mode}-version": f"v1.{int(psa.version.split('.')[1]) - 1}"})
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intents(), st.data())
def test_a_namespace_at_its_effective_level_is_admitted_and_one_weaker_is_rejected(drawn, pick):
    data, cluster = drawn
    plan = plan_fleet(parse(data).intent, NOW, [cluster]).clusters[0]
    documents = admission_objects(plan, ())
    policy = named(documents, "ValidatingAdmissionPolicy", PSA_FLOOR)
    params = params_for(named(documents, "ValidatingAdmissionPolicyBinding", PSA_FLOOR), documents)
    cases = [(ns.name, ns.pod_security) for ns in plan.namespaces] + [("not-in-the-intent", plan.baseline)]
    for name, psa in cases:
        admitted = judge(policy, Request("CREATE", "namespaces", _namespace(name, psa)), params)
        assert admitted.admitted and not admitted.errors, (cluster, name, psa, admitted.violations)
        weaker = _weaker(psa)  # one of them per namespace: a CEL evaluation is ~10 ms in cel-python
        if weaker:
            change = pick.draw(st.sampled_from(weaker), label=f"weaker {name}")
            verdict = judge(policy, Request("UPDATE", "namespaces", _namespace(name, psa, **change), _namespace(name, psa)), params)
            assert len(verdict.violations) == 1 and not verdict.errors, (cluster, name, psa, change, verdict.violations)
