"""The admission policies' part of the diff (SPEC §13): FI-ADM-001 and FI-ADM-002.

The desired objects are the ones `generate` writes (intent/admission.py's `admission_objects`);
the observed ones come with the API server's defaults already removed
(translators/kubernetes_admission.py), so that anything else that differs is a change. All
findings are cluster-wide (owner `metadata.owner`).

- FI-ADM-001: the API is not served; a policy is missing or its spec differs from the
  generated one; a binding is missing, names another policy, has weaker `validationActions`
  (`ACTIONS_STRENGTH`), another `paramRef`, or a `matchResources` (which can only narrow the
  policy's own match).
- FI-ADM-002: a parameter ConfigMap is missing or its data differs. The PSA floor's data is
  compared key by key; the cluster-admin guard's by value, since the guard reads only the
  values (an extra value is an extra allowed subject, whatever its key).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from intent.admission import ACTIONS_STRENGTH, CLUSTER_ADMIN_GUARD, SYSTEM_NAMESPACE, admission_objects
from intent.check.emit import Emitter
from intent.check.findings import FI_ADM_001, FI_ADM_002, Finding
from intent.model import Level
from intent.observe.observed import ObservedAdmission, ObservedAdmissionBinding, ObservedState
from intent.quoting import shorten
from intent.safeio import printable

NOT_SERVED_OBJECT = "APIResource/admissionregistration.k8s.io/v1/validatingadmissionpolicies"
ABSENT = "(absent)"
# At most this many differing keys are spelled out in one finding; the rest are counted.
MAX_LISTED = 8
PURPOSE = {
    "fleet-intent-psa-floor": "namespaces may be labelled below their Pod Security floor",
    "fleet-intent-cluster-admin-guard": "anyone allowed to bind cluster-admin may grant it to anyone",
    "fleet-intent-aws-auth-guard": "aws-auth may map anyone to system:masters",
}


def diff_admission(emit: Emitter, observed: ObservedState, cluster_admins: Iterable[tuple[str, str]]) -> list[Finding]:
    """FI-ADM-001/002 of one cluster; none when the intent declares no `admission:` or the
    observer did not read the admission documents (`observed.admission` None)."""
    plan = emit.plan
    seen = observed.admission
    if not plan.admission_mode or seen is None:
        return []
    objects = admission_objects(plan, cluster_admins)
    out: list[Finding] = []
    if not seen.served:
        out.append(emit(
            FI_ADM_001, NOT_SERVED_OBJECT,
            f"cluster {plan.name} does not serve admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies "
            "(Kubernetes before 1.30): none of the intent's admission policies can be installed",
            expected="served (Kubernetes 1.30 or later)", actual="not served (404)",
        ))
    else:
        for want in _of_kind(objects, "ValidatingAdmissionPolicy"):
            out += _diff_policy(emit, seen, want)
        for want in _of_kind(objects, "ValidatingAdmissionPolicyBinding"):
            out += _diff_binding(emit, seen, want)
    for want in _of_kind(objects, "ConfigMap"):
        out += _diff_params(emit, seen, want)
    return out


def _of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def _shown(value: Any) -> str:
    """A value from the cluster, short and on one line."""
    if value is None:
        return ABSENT
    if isinstance(value, list):
        return f"[{len(value)} entries]"
    if isinstance(value, dict):
        return "{" + ", ".join(shorten(printable(str(k)), 40) for k in sorted(value)) + "}"
    return shorten(printable(str(value)))


def _diff_policy(emit: Emitter, seen: ObservedAdmission, want: dict[str, Any]) -> list[Finding]:
    name = want["metadata"]["name"]
    obj = f"ValidatingAdmissionPolicy/{name}"
    got = seen.policy(name)
    if got is None:
        return [emit(FI_ADM_001, obj, f"admission policy {name} is not installed on {emit.plan.name}: "
                     f"{PURPOSE.get(name, 'its rule is not enforced')}", expected="present", actual="missing")]
    spec = want["spec"]
    keys = sorted(k for k in set(spec) | set(got.spec) if spec.get(k) != got.spec.get(k))
    if not keys:
        return []
    expected, actual = [], []
    for key in keys:
        mine, theirs = _shown(spec.get(key)), _shown(got.spec.get(key))
        if mine == theirs:
            theirs += " changed"
        expected.append(f"spec.{key}={mine}")
        actual.append(f"spec.{key}={theirs}")
    fields = ", ".join(f"spec.{k}" for k in keys)
    return [emit(FI_ADM_001, obj, f"admission policy {name} on {emit.plan.name} differs from the generated one "
                 f"({fields}): a changed policy is as good as missing",
                 expected="; ".join(expected), actual="; ".join(actual))]


def _actions(actions: Iterable[str]) -> str:
    return "[" + ", ".join(shorten(printable(a), 20) for a in actions) + "]"


def _param_ref(ref: dict[str, Any] | None) -> str:
    if ref is None:
        return "paramRef=" + ABSENT
    return "paramRef=" + ",".join(f"{shorten(printable(str(k)), 40)}={_shown(ref[k])}" for k in sorted(ref))


def _diff_binding(emit: Emitter, seen: ObservedAdmission, want: dict[str, Any]) -> list[Finding]:
    name = want["metadata"]["name"]
    obj = f"ValidatingAdmissionPolicyBinding/{name}"
    spec = want["spec"]
    got: ObservedAdmissionBinding | None = seen.binding(name)
    if got is None:
        return [emit(FI_ADM_001, obj, f"admission policy {spec['policyName']} has no binding {name} on "
                     f"{emit.plan.name}, so it has no effect: {PURPOSE.get(spec['policyName'], 'its rule is not enforced')}",
                     expected="present", actual="missing")]
    problems: list[tuple[str, str, str]] = []  # (what, expected, actual)
    if got.policy_name != spec["policyName"]:
        problems.append(("it binds another policy", f"policyName={spec['policyName']}",
                         f"policyName={_shown(got.policy_name or None)}"))
    wanted_actions = spec["validationActions"]
    strength = ACTIONS_STRENGTH.get(tuple(sorted(got.validation_actions)), 0)
    if strength < ACTIONS_STRENGTH[tuple(sorted(wanted_actions))]:
        problems.append((f"its validationActions are weaker than the intent's mode {emit.plan.admission_mode}",
                         f"validationActions={_actions(wanted_actions)}",
                         f"validationActions={_actions(got.validation_actions)}"))
    if got.param_ref != spec.get("paramRef"):
        problems.append(("it reads other parameters", _param_ref(spec.get("paramRef")), _param_ref(got.param_ref)))
    if got.match_resources is not None:
        problems.append(("its matchResources narrow what the policy judges", f"matchResources={ABSENT}",
                         f"matchResources={_shown(got.match_resources)}"))
    if not problems:
        return []
    return [emit(FI_ADM_001, obj, f"admission binding {name} on {emit.plan.name} is weakened: "
                 + "; ".join(p[0] for p in problems),
                 expected="; ".join(p[1] for p in problems), actual="; ".join(p[2] for p in problems))]


def _listed(items: list[str]) -> str:
    shown = items[:MAX_LISTED]
    more = len(items) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")


def _diff_params(emit: Emitter, seen: ObservedAdmission, want: dict[str, Any]) -> list[Finding]:
    name = want["metadata"]["name"]
    obj = f"ConfigMap/{SYSTEM_NAMESPACE}/{name}"
    data: dict[str, str] = want["data"]
    got = seen.config_map(name)
    if got is None:
        why = " (the snapshot holds no kubernetes/admission-params.json)" if seen.params is None else ""
        return [emit(FI_ADM_002, obj, f"the parameters {SYSTEM_NAMESPACE}/{name} of admission policy {name} are "
                     f"missing on {emit.plan.name}{why}: the policy refuses every request it judges "
                     "(parameterNotFoundAction Deny)", expected=f"present ({len(data)} keys)", actual="missing")]
    have = dict(got.data)
    if name == CLUSTER_ADMIN_GUARD:
        return _diff_subjects(emit, obj, name, set(data.values()), set(have.values()))
    keys = sorted(k for k in set(data) | set(have) if data.get(k) != have.get(k))
    if not keys:
        return []
    shown = {k: shorten(printable(k), 60) for k in keys}
    expected = [f"{shown[k]}={data[k]}" if k in data else f"{shown[k]} {ABSENT}" for k in keys]
    actual = [f"{shown[k]}={_shown(have[k])}" if k in have else f"{shown[k]} {ABSENT}" for k in keys]
    return [emit(FI_ADM_002, obj, f"the parameters {SYSTEM_NAMESPACE}/{name} of admission policy {name} on "
                 f"{emit.plan.name} differ from the intent: "
                 + _listed([_key_change(shown[k], data.get(k), have.get(k)) for k in keys]),
                 expected=_listed(expected), actual=_listed(actual))]


def _key_change(key: str, want: str | None, got: str | None) -> str:
    """How one parameter differs, in words (a Pod Security floor says lowered or raised)."""
    if got is None:
        return f"{key} missing (intended {want})"
    if want is None:
        return f"{key}={_shown(got)} added"
    try:
        lowered = Level(got).weaker_than(Level(want))
        how = " (floor lowered)" if lowered else " (floor raised)"
    except ValueError:
        how = ""
    return f"{key} is {_shown(got)}, intended {want}{how}"


def _diff_subjects(emit: Emitter, obj: str, name: str, wanted: set[str], allowed: set[str]) -> list[Finding]:
    extra = sorted(shorten(printable(s)) for s in allowed - wanted)
    missing = sorted(wanted - allowed)
    if not extra and not missing:
        return []
    parts = []
    if extra:
        parts.append(f"extra allowed subject(s) {_listed(extra)}")
    if missing:
        parts.append(f"intended subject(s) not allowed {_listed(missing)}")
    return [emit(FI_ADM_002, obj, f"the cluster-admin allow-list {SYSTEM_NAMESPACE}/{name} on {emit.plan.name} "
                 f"differs from the intent: {'; '.join(parts)}",
                 expected="allowed: " + _listed(sorted(wanted)),
                 actual="; ".join(parts))]
