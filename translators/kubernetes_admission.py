"""Reads a cluster's admission documents (SPEC §13) into the neutral `ObservedAdmission`,
shared by the EKS, GKE and AKS observers, which call it only when the intent declares
`admission:`.

The documents are `kubectl get validatingadmissionpolicies -o json`,
`kubectl get validatingadmissionpolicybindings -o json` and
`kubectl -n fleet-intent-system get configmaps -o json` (a `List`, or a bare JSON list). Objects
come back from the API server with its defaults filled in; those are removed here, so that an
installed spec compares with the generated one as written and only a real change shows.
The defaults are `SetDefaults_MatchResources` (matchPolicy `Equivalent`, namespaceSelector
and objectSelector `{}`) and `SetDefaults_Rule` (scope `*`) of kubernetes
pkg/apis/admissionregistration/v1beta1/defaults.go and v1/defaults.go; failurePolicy's
default (`Fail`) is not removed because the generated policies always spell it out.
"""

from __future__ import annotations

from typing import Any

from intent.admission import SYSTEM_NAMESPACE
from intent.observe.observed import (
    ObservedAdmission,
    ObservedAdmissionBinding,
    ObservedAdmissionPolicy,
    ObservedConfigMap,
)
from intent.observe.sources import ADMISSION_BINDINGS, ADMISSION_PARAMS, ADMISSION_POLICIES
from intent.plan import ClusterPlan
from intent.quoting import clip
from translators import kubernetes_state as k8s

NOT_SERVED = 404

# Server defaults, field by field: (key, default value).
_MATCH_DEFAULTS = (("matchPolicy", "Equivalent"), ("namespaceSelector", {}), ("objectSelector", {}))
_RULE_DEFAULTS = (("scope", "*"),)
_RULE_LISTS = ("resourceRules", "excludeResourceRules")


def parse_admission(plan: ClusterPlan, documents: dict[str, Any]) -> ObservedAdmission | None:
    """The cluster's admission objects, or None when the intent declares no `admission:` (then
    nothing is read). The policies' and bindings' documents are required (CollectError when
    missing or malformed); a missing parameters document leaves `params` None."""
    if not plan.admission_mode:
        return None
    if not_served(documents, ADMISSION_POLICIES) or not_served(documents, ADMISSION_BINDINGS):
        return ObservedAdmission(served=False, params=parse_params(documents))
    return ObservedAdmission(
        served=True,
        policies=parse_policies(documents),
        bindings=parse_bindings(documents),
        params=parse_params(documents),
    )


def not_served(documents: dict[str, Any], path: str) -> bool:
    """Whether the document at `path` is the 404 `Status` of a list the API server does not
    serve (any other `Status` is a CollectError: the list was not read)."""
    doc = k8s.document(documents, path)
    if not (isinstance(doc, dict) and doc.get("kind") == "Status"):
        return False
    if doc.get("code") == NOT_SERVED:
        return True
    message = clip(" ".join(str(doc.get("message") or "").split()), 200)
    raise k8s.fail(path, f"is a Status {doc.get('code')!r} ({doc.get('reason') or 'no reason'}: {message}), not a List")


def parse_policies(documents: dict[str, Any]) -> tuple[ObservedAdmissionPolicy, ...]:
    """Every ValidatingAdmissionPolicy with its spec, server defaults removed."""
    out = []
    for i, item in enumerate(k8s.list_items(documents, ADMISSION_POLICIES)):
        meta = k8s.metadata(item, ADMISSION_POLICIES, i)
        spec = dict(k8s.as_dict(item.get("spec"), ADMISSION_POLICIES, f"items[{i}].spec"))
        if "matchConstraints" in spec:
            where = f"items[{i}].spec.matchConstraints"
            spec["matchConstraints"] = without_match_defaults(spec["matchConstraints"], ADMISSION_POLICIES, where)
        out.append(ObservedAdmissionPolicy(meta["name"], spec))
    return tuple(sorted(out, key=lambda p: p.name))


def parse_bindings(documents: dict[str, Any]) -> tuple[ObservedAdmissionBinding, ...]:
    """Every ValidatingAdmissionPolicyBinding: its policy, actions, paramRef and
    matchResources (server defaults removed; None when only defaults were there)."""
    out = []
    path = ADMISSION_BINDINGS
    for i, item in enumerate(k8s.list_items(documents, path)):
        meta = k8s.metadata(item, path, i)
        spec = k8s.as_dict(item.get("spec"), path, f"items[{i}].spec")
        actions = k8s.as_list(spec.get("validationActions") or [], path, f"items[{i}].spec.validationActions")
        actions = tuple(k8s.text(a, path, f"items[{i}].spec.validationActions[{j}]") for j, a in enumerate(actions))
        param_ref = spec.get("paramRef")
        if param_ref is not None:
            param_ref = dict(k8s.as_dict(param_ref, path, f"items[{i}].spec.paramRef"))
        match = spec.get("matchResources")
        if match is not None:
            match = without_match_defaults(match, path, f"items[{i}].spec.matchResources") or None
        policy = spec.get("policyName")
        out.append(ObservedAdmissionBinding(
            meta["name"],
            policy if isinstance(policy, str) else "",
            actions,
            param_ref,
            match,
        ))
    return tuple(sorted(out, key=lambda b: b.name))


def parse_params(documents: dict[str, Any]) -> tuple[ObservedConfigMap, ...] | None:
    """The ConfigMaps of the parameters' namespace with their data; None when the document
    is absent (not read). Items of other namespaces are left out."""
    path = ADMISSION_PARAMS
    if path not in documents:
        return None
    out = []
    for i, item in enumerate(k8s.list_items(documents, path)):
        meta = k8s.metadata(item, path, i)
        if meta.get("namespace", SYSTEM_NAMESPACE) != SYSTEM_NAMESPACE:
            continue
        data = k8s.as_dict(item.get("data") or {}, path, f"items[{i}].data")
        for key, value in data.items():
            if not isinstance(value, str):
                raise k8s.fail(path, f"items[{i}].data.{clip(str(key), 80)} is not a string")
        out.append(ObservedConfigMap(meta["name"], tuple(sorted(data.items()))))
    return tuple(sorted(out, key=lambda c: c.name))


def without_match_defaults(value: Any, path: str, where: str) -> dict[str, Any]:
    """A MatchResources object without the fields the API server defaulted (only where they
    hold exactly the default: a set value stays and shows as a difference)."""
    match = dict(k8s.as_dict(value, path, where))
    for key, default in _MATCH_DEFAULTS:
        if key in match and match[key] == default:
            del match[key]
    for key in _RULE_LISTS:
        if key in match:
            rules = k8s.as_list(match[key], path, f"{where}.{key}")
            match[key] = [_without_rule_defaults(rule) for rule in rules]
    return match


def _without_rule_defaults(rule: Any) -> Any:
    if not isinstance(rule, dict):
        return rule  # compared as it is: it differs from any generated rule
    return {k: v for k, v in rule.items() if (k, v) not in _RULE_DEFAULTS}

