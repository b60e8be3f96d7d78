"""A test harness that judges an admission request with a generated ValidatingAdmissionPolicy
the way the API server does, with every CEL expression evaluated by a real CEL runtime
(cel-python, module `celpy`).

What is emulated and how (kubernetes.io/docs/reference/access-authn-authz/
validating-admission-policy/, and the field comments of ValidatingAdmissionPolicySpec in
k8s.io/api admissionregistration/v1, e.g. matchConditions and failurePolicy):

1. `matchConstraints.resourceRules` in Python: a rule matches when its apiGroups, apiVersions,
   operations and resources each hold the request's (or `*`) and, when it has resourceNames,
   the object's name is one of them. Selectors, excludeResourceRules and matchPolicy are not
   emulated: a policy using them is refused here, so nothing is silently ignored.
2. Parameters: with `paramKind`, the binding's `paramRef` names the parameter object; a missing
   one is a rejection under `parameterNotFoundAction: Deny`. `params` is the whole object
   (a ConfigMap, so the floors are `params.data`).
3. `matchConditions` (CEL): any false skips the policy; otherwise an error is a rejection under
   `failurePolicy: Fail`.
4. `variables` (CEL): lazily evaluated on first use, as `variables.<name>`, each at most once;
   an error is the value, so it fails only the expressions that read it.
5. Each `validations[].expression` (CEL) with `object`, `oldObject` (null on CREATE),
   `params`, `request` and `namespaceObject` (null for cluster-scoped objects); false is a
   violation whose message is the `messageExpression` (CEL; `message` if that errors); an
   evaluation error is a violation too (`failurePolicy: Fail`).
6. The binding's `validationActions` turn violations into the outcome: Deny rejects, Warn
   warns, Audit annotates the audit event.

cel-python's default InterpretedRunner evaluates; its CompiledRunner (0.5.0) is not used: it
turns `has()` of a missing map field into an error instead of false.

Not emulated: the API server's type check against the OpenAPI schema (it reports in
`status.typeChecking`), its CEL cost budget, and CEL libraries beyond the standard ones (the
policies use none: tests/test_admission_cel_runtime.py proves the set of functions they call).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import celpy
from celpy import celtypes
from celpy.evaluation import CELEvalError

_ENV = celpy.Environment()
_PROGRAMS: dict[str, Any] = {}


def program(expression: str):
    """The compiled CEL program of `expression` (cached: the policies are constants)."""
    if expression not in _PROGRAMS:
        _PROGRAMS[expression] = _ENV.program(_ENV.compile(expression))
    return _PROGRAMS[expression]


def evaluate(expression: str, activation: dict[str, Any]) -> Any:
    """`expression`'s value, or the CELEvalError it ends in (an error is a value, as in CEL)."""
    try:
        return program(expression).evaluate(activation)
    except CELEvalError as error:
        return error


def cel(value: Any) -> Any:
    """A JSON-shaped Python value as CEL (None is null)."""
    return celpy.json_to_cel(value)


class LazyVariables(celtypes.MapType):
    """`variables`: each evaluated on its first read, with the variables before it in scope."""

    def __init__(self, definitions: list[dict[str, str]], activation: dict[str, Any]) -> None:
        super().__init__()
        self._expressions = {d["name"]: d["expression"] for d in definitions}
        self._activation = {**activation, "variables": self}
        self.evaluated: dict[str, Any] = {}

    def __contains__(self, key: object) -> bool:
        return str(key) in self._expressions

    def __getitem__(self, key: Any) -> Any:
        name = str(key)
        if name not in self._expressions:
            raise KeyError(key)
        if name not in self.evaluated:
            self.evaluated[name] = evaluate(self._expressions[name], self._activation)
        return self.evaluated[name]


@dataclass(frozen=True)
class Request:
    """One admission request: `operation` CREATE or UPDATE of `resource` (plural) in `group`."""

    operation: str
    resource: str
    object: dict[str, Any]
    old_object: dict[str, Any] | None = None
    group: str = ""
    version: str = "v1"
    username: str = "kubernetes-admin"
    groups: tuple[str, ...] = ("system:authenticated",)
    namespace_object: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.object["metadata"]["name"]

    @property
    def namespace(self) -> str:
        return self.object["metadata"].get("namespace", "")

    def as_cel(self) -> Any:
        """The `request` variable (admission.k8s.io/v1 AdmissionRequest's fields)."""
        return cel(
            {
                "kind": {"group": self.group, "version": self.version, "kind": self.object.get("kind", "")},
                "resource": {"group": self.group, "version": self.version, "resource": self.resource},
                "name": self.name,
                "namespace": self.namespace,
                "operation": self.operation,
                "userInfo": {"username": self.username, "groups": list(self.groups)},
                "dryRun": False,
            }
        )


@dataclass
class Verdict:
    """What the policy made of a request: whether it applied, and its violations' messages."""

    matched: bool
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # evaluation errors (each also a violation)

    @property
    def admitted(self) -> bool:
        """Admitted by the policy's validations (what a `[Deny]` binding enforces)."""
        return not self.violations


def _rule_matches(rule: dict[str, Any], request: Request) -> bool:
    def holds(values: list[str], value: str) -> bool:
        return "*" in values or value in values

    return (
        holds(rule["apiGroups"], request.group)
        and holds(rule["apiVersions"], request.version)
        and holds(rule["operations"], request.operation)
        and holds(rule["resources"], request.resource)
        and (not rule.get("resourceNames") or request.name in rule["resourceNames"])
    )


def _matches_constraints(spec: dict[str, Any], request: Request) -> bool:
    constraints = spec["matchConstraints"]
    unsupported = set(constraints) - {"resourceRules"}
    if unsupported:
        raise NotImplementedError(f"matchConstraints {sorted(unsupported)} are not emulated")
    return any(_rule_matches(rule, request) for rule in constraints["resourceRules"])


def _failed(value: Any) -> bool:
    return isinstance(value, CELEvalError)


def judge(policy: dict[str, Any], request: Request, params: dict[str, Any] | None = None) -> Verdict:
    """The policy's verdict on `request`, with `params` the parameter object its binding names
    (None when the binding names none or it does not exist)."""
    spec = policy["spec"]
    assert spec["failurePolicy"] == "Fail", "the harness emulates failurePolicy Fail only"
    if not _matches_constraints(spec, request):
        return Verdict(matched=False)
    if "paramKind" in spec and params is None:
        return Verdict(matched=True, violations=["no params found for policy binding (parameterNotFoundAction: Deny)"])
    activation = {
        "object": cel(request.object),
        "oldObject": cel(request.old_object),
        "params": cel(params),
        "request": request.as_cel(),
        "namespaceObject": cel(request.namespace_object),
    }
    errors: list[str] = []
    for condition in spec.get("matchConditions", []):
        value = evaluate(condition["expression"], activation)
        if _failed(value) or not isinstance(value, celtypes.BoolType):
            errors.append(f"matchCondition {condition['name']} error: {value!r}")
        elif not value:
            return Verdict(matched=False)
    if errors:
        return Verdict(matched=True, violations=list(errors), errors=errors)
    activation["variables"] = LazyVariables(spec.get("variables", []), activation)
    verdict = Verdict(matched=True)
    for validation in spec["validations"]:
        value = evaluate(validation["expression"], activation)
        if _failed(value) or not isinstance(value, celtypes.BoolType):
            message = f"expression error: {value!r}"
            verdict.errors.append(message)
            verdict.violations.append(message)
        elif not value:
            verdict.violations.append(_message(validation, activation, verdict))
    return verdict


def _message(validation: dict[str, Any], activation: dict[str, Any], verdict: Verdict) -> str:
    if "messageExpression" in validation:
        value = evaluate(validation["messageExpression"], activation)
        if isinstance(value, str):  # celpy gives `+` results as plain str
            return str(value)
        verdict.errors.append(f"messageExpression error: {value!r}")
    return validation.get("message", "")


def outcome(verdict: Verdict, binding: dict[str, Any]) -> str:
    """What the API server does with the verdict under `binding`'s validationActions:
    "admitted", "denied", or "admitted with warnings"/"admitted, audited" for a dry run."""
    if verdict.admitted:
        return "admitted"
    actions = binding["spec"]["validationActions"]
    if "Deny" in actions:
        return "denied"
    return "admitted with warnings" if "Warn" in actions else "admitted, audited"


def params_for(binding: dict[str, Any], documents: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The parameter object `binding`'s paramRef names among `documents` (None if none)."""
    ref = binding["spec"].get("paramRef")
    if not ref:
        return None
    for doc in documents:
        meta = doc["metadata"]
        if doc["kind"] == "ConfigMap" and meta["name"] == ref["name"] and meta.get("namespace") == ref["namespace"]:
            return doc
    return None


# --- The fleet's generated objects -------------------------------------------------------


@functools.cache
def committed_documents(cluster: str) -> list[dict[str, Any]]:
    """The documents of the committed out/clusters/<cluster>/manifests/admission.yaml (read
    once per test session: nothing mutates them)."""
    import yaml

    from conftest import ROOT

    path = ROOT / "out" / "clusters" / cluster / "manifests" / "admission.yaml"
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def generated_documents(data: dict[str, Any], cluster: str) -> list[dict[str, Any]]:
    """The documents `generate` writes to manifests/admission.yaml for `cluster` from intent
    `data` (rendered as generate renders them, then parsed back)."""
    import yaml

    from generate_support import parse, render

    files = render(parse(data), [cluster])
    return list(yaml.safe_load_all(files[f"clusters/{cluster}/manifests/admission.yaml"]))


def named(documents: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """The one document of `kind` called `name`."""
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def judge_in(documents: list[dict[str, Any]], policy_name: str, request: Request) -> Verdict:
    """The verdict of policy `policy_name` among `documents`, with the parameters its binding names."""
    policy = named(documents, "ValidatingAdmissionPolicy", policy_name)
    binding = named(documents, "ValidatingAdmissionPolicyBinding", policy_name)
    return judge(policy, request, params_for(binding, documents))
