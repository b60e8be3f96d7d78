"""The admission policies of one cluster (SPEC §13): the Kubernetes objects that make the
API server itself refuse what the intent forbids, built from the cluster's plan.

Three ValidatingAdmissionPolicies (`admissionregistration.k8s.io/v1`, GA and on by default
since Kubernetes 1.30), each with a binding whose `validationActions` follow the intent's
`admission.mode`:

- `fleet-intent-psa-floor`: a Namespace create or update whose `pod-security.kubernetes.io/
  {enforce,audit,warn}` label is missing, unknown or weaker than the floor, or whose
  `<mode>-version` label pins an older policy version, is refused. The floors live in a
  ConfigMap the policy reads as its parameters: each managed namespace's effective levels
  (unexpired exceptions applied), the org baseline for every other namespace, and the ignored
  namespaces as one RE2 pattern. A policy cannot read the clock (kubernetes/website#38504), so
  an exception's expiry takes effect when the parameters are regenerated.
- `fleet-intent-cluster-admin-guard`: a (Cluster)RoleBinding to ClusterRole `cluster-admin`
  that adds a subject the intent does not name as a cluster-admin is refused. The allowed
  subjects are the parameters: the intent's own, spelled as the cluster's translator binds
  them, and `Group system:masters` (the subject of Kubernetes' bootstrap `cluster-admin`
  binding, which the API server recreates; that group bypasses RBAC anyway). Subjects a
  binding already had are let through an update, so provider controllers that reconcile
  their own bindings keep working; existing bindings are the check's business (FI-AUTH-001).
- `fleet-intent-aws-auth-guard` (EKS with aws-auth in use): a create or update of
  `kube-system/aws-auth` whose data mentions `system:masters`, or holds a backslash (the only
  way YAML spells a character differently: `"system:\\x6dasters"`), is refused. CEL has no
  YAML parser, so the test is on the text.

The CEL expressions are constants: intent values reach only the parameter ConfigMaps' data,
as data. Every expression uses standard CEL only (`has`, `in`, `size`, `matches`, `contains`,
`all`, `exists`, string ordering), which the test suite evaluates with a real CEL runtime.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from intent.model import PSA_MODES
from intent.plan import MANAGED_BY_LABEL, MANAGED_BY_VALUE, PSA_PREFIX, ClusterPlan

API_VERSION = "admissionregistration.k8s.io/v1"
SYSTEM_NAMESPACE = "fleet-intent-system"
PSA_FLOOR = "fleet-intent-psa-floor"
CLUSTER_ADMIN_GUARD = "fleet-intent-cluster-admin-guard"
AWS_AUTH_GUARD = "fleet-intent-aws-auth-guard"
POLICY_NAMES = (PSA_FLOOR, CLUSTER_ADMIN_GUARD, AWS_AUTH_GUARD)

# `mode` -> the binding's validationActions. Deny and Warn may not be combined; [Warn, Audit]
# is the documented dry run (kubernetes.io/docs/reference/access-authn-authz/
# validating-admission-policy/, "Validation actions").
VALIDATION_ACTIONS = {"deny": ["Deny"], "warn": ["Warn", "Audit"], "audit": ["Audit"]}
# How strongly each set of actions holds a cluster, to tell a weaker mode from a stronger one.
ACTIONS_STRENGTH = {("Deny",): 3, ("Audit", "Deny"): 3, ("Audit", "Warn"): 2, ("Warn",): 1, ("Audit",): 1}

# Kubernetes' bootstrap cluster-admin binding binds this group (plugin/pkg/auth/authorizer/
# rbac/bootstrappolicy/policy.go, ClusterRoleBindings: "cluster-admin" -> Group system:masters).
BOOTSTRAP_ADMIN = ("Group", "system:masters")
# aws-auth is read only in these modes (EKS `accessConfig.authenticationMode`).
AWS_AUTH_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP")
LEVEL_RANKS = '{"privileged": 0, "baseline": 1, "restricted": 2}'
# PSA's own version syntax (k8s.io/pod-security-admission api/helpers.go, ParseVersion).
PSA_VERSION_PATTERN = r"^v1\\.(0|[1-9][0-9]*)$"  # as a CEL string literal's content


def admission_objects(plan: ClusterPlan, cluster_admins: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Every admission object of `plan`'s cluster, in apply order: the parameters' namespace,
    the parameter ConfigMaps, then each policy followed by its binding.

    `cluster_admins` are the (kind, name) RBAC subjects through which the cluster's
    translator grants the intent's cluster-admins (empty where they hold it outside RBAC:
    EKS access policies, AKS Azure RBAC). Empty when the intent has no `admission:` block.
    """
    if not plan.admission_mode:
        return []
    actions = VALIDATION_ACTIONS[plan.admission_mode]
    objects = [
        system_namespace(plan),
        config_map(PSA_FLOOR, psa_floor_params(plan)),
        config_map(CLUSTER_ADMIN_GUARD, cluster_admin_params(cluster_admins)),
        psa_floor_policy(),
        binding(PSA_FLOOR, actions, with_params=True),
        cluster_admin_guard_policy(),
        binding(CLUSTER_ADMIN_GUARD, actions, with_params=True),
    ]
    if guards_aws_auth(plan):
        objects += [aws_auth_guard_policy(), binding(AWS_AUTH_GUARD, actions, with_params=False)]
    return objects


def guards_aws_auth(plan: ClusterPlan) -> bool:
    """Whether the cluster reads aws-auth, so that it gets the aws-auth guard."""
    return plan.provider == "eks" and plan.cluster.authentication_mode in AWS_AUTH_MODES


def _labels() -> dict[str, str]:
    return {MANAGED_BY_LABEL: MANAGED_BY_VALUE}


def system_namespace(plan: ClusterPlan) -> dict[str, Any]:
    """The namespace of the parameter ConfigMaps. It is no intent namespace, so the floor it
    must meet is the org baseline, and it carries exactly that."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": SYSTEM_NAMESPACE, "labels": {**_labels(), **plan.baseline.labels()}},
    }


def config_map(name: str, data: dict[str, str]) -> dict[str, Any]:
    """A parameter ConfigMap in the system namespace."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": SYSTEM_NAMESPACE, "labels": _labels()},
        "data": data,
    }


def psa_floor_params(plan: ClusterPlan) -> dict[str, str]:
    """The floors: `<mode>` and `version` for namespaces the intent does not name (the org
    baseline), `<namespace>.<mode>` and `<namespace>.version` for each managed namespace (a
    namespace name is a DNS label and holds no `.`, so the keys cannot collide), and `ignore`,
    the ignored namespaces as one anchored RE2 pattern (absent when none are ignored)."""
    data = {mode: plan.baseline.level(mode).value for mode in PSA_MODES}
    data["version"] = plan.baseline.version
    for ns in sorted(plan.namespaces, key=lambda n: n.name):
        for mode in PSA_MODES:
            data[f"{ns.name}.{mode}"] = ns.pod_security.level(mode).value
        data[f"{ns.name}.version"] = ns.pod_security.version
    if plan.ignore_namespaces:
        data["ignore"] = ignore_pattern(plan.ignore_namespaces)
    return data


def ignore_pattern(patterns: Iterable[str]) -> str:
    """The fnmatch patterns of `ignoreNamespaces` as one anchored pattern that RE2 (the API
    server's CEL `matches`) and Python's `re` read alike, matching exactly the names
    `fnmatch.fnmatchcase` matches with any of them (tests/test_admission_objects.py proves it
    over random patterns and names). Patterns hold only `[a-z0-9*?[]!-]` (intent/model.py)."""
    return "^(" + "|".join(_glob_regex(p) for p in sorted(set(patterns))) + ")$"


# Matches nothing, in RE2 and in Python alike (RE2 has no `(?!)`).
_NOTHING = r"[^\s\S]"


def _glob_regex(pattern: str) -> str:
    """One fnmatch pattern as a regular expression: the tokens of CPython's
    `fnmatch.translate` (Lib/fnmatch.py, whose class and range rules this follows step by
    step), with `*` as `.*` (translate's atomic groups are only a speed-up, and RE2 has none)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if not out or out[-1] != ".*":
                out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i
            if j < n and pattern[j] == "!":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(r"\[")
                continue
            if "-" not in pattern[i:j]:
                chunks = [pattern[i:j]]
            else:
                chunks = []
                k = i + 2 if pattern[i] == "!" else i + 1
                while True:
                    k = pattern.find("-", k, j)
                    if k < 0:
                        break
                    chunks.append(pattern[i:k])
                    i = k + 1
                    k += 3
                chunk = pattern[i:j]
                if chunk:
                    chunks.append(chunk)
                else:
                    chunks[-1] += "-"
                for k in range(len(chunks) - 1, 0, -1):  # empty ranges (z-a) match nothing
                    if chunks[k - 1][-1] > chunks[k][0]:
                        chunks[k - 1] = chunks[k - 1][:-1] + chunks[k][1:]
                        del chunks[k]
            i = j + 1
            out.append(_class(chunks))
        else:
            out.append("\\]" if c == "]" else c)  # a-z, 0-9, `-` and `!` are literal
    return "".join(out)


def _class(chunks: list[str]) -> str:
    """A bracket expression from fnmatch's chunks (joined by range hyphens)."""
    stuff = "-".join(chunks)
    if not stuff:
        return _NOTHING
    if stuff == "!":
        return "."
    negate = stuff.startswith("!")
    if negate:
        chunks = [chunks[0][1:], *chunks[1:]]
    # Literal `-`, `[` and `]` escaped (valid in both syntaxes); range hyphens kept.
    body = "-".join("".join("\\" + ch if ch in "-[]" else ch for ch in chunk) for chunk in chunks)
    if not body:
        return "." if negate else _NOTHING
    return "[" + ("^" if negate else "") + body + "]"


def subject_text(kind: str, name: str, namespace: str = "") -> str:
    """How the cluster-admin guard spells a subject: `ServiceAccount:<namespace>/<name>` or
    `<kind>:<name>`."""
    return f"ServiceAccount:{namespace}/{name}" if kind == "ServiceAccount" else f"{kind}:{name}"


def cluster_admin_params(cluster_admins: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The allowed subjects, one per ConfigMap entry. The policy compares values, never keys:
    subject names hold characters a ConfigMap key may not (`:`, `@`), so each key is the
    subject made key-safe plus 8 hex digits of its SHA-256 (distinct subjects, distinct keys)."""
    data: dict[str, str] = {}
    for kind, name in sorted(set(cluster_admins) | {BOOTSTRAP_ADMIN}):
        text = subject_text(kind, name)
        safe = re.sub(r"[^-._a-zA-Z0-9]+", ".", text).strip(".")[:200]
        data[f"{safe}.{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"] = text
    return data


def _policy(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "ValidatingAdmissionPolicy", "metadata": {"name": name, "labels": _labels()}, "spec": spec}


def binding(policy: str, actions: list[str], with_params: bool) -> dict[str, Any]:
    """The binding of `policy` (same name). A policy whose parameters are missing refuses
    (`parameterNotFoundAction: Deny`, required with `paramRef`: kubernetes/kubernetes#130822)."""
    spec: dict[str, Any] = {"policyName": policy, "validationActions": list(actions)}
    if with_params:
        spec["paramRef"] = {"name": policy, "namespace": SYSTEM_NAMESPACE, "parameterNotFoundAction": "Deny"}
    return {"apiVersion": API_VERSION, "kind": "ValidatingAdmissionPolicyBinding", "metadata": {"name": policy, "labels": _labels()}, "spec": spec}


def _rule(group: str, resources: list[str], names: list[str] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"apiGroups": [group], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": resources}
    if names:
        rule["resourceNames"] = names
    return rule


def psa_floor_policy() -> dict[str, Any]:
    """The PSA floor. Its variables read each label once; `prefix` picks the namespace's own
    floors or the baseline's; `exempt` lets through ignored namespaces and namespaces being
    deleted (their finalizers are removed by updates, which must not be blocked)."""
    variables = [
        {"name": "labels", "expression": 'has(object.metadata.labels) ? object.metadata.labels : {"": ""}'},
        {"name": "prefix", "expression": '(object.metadata.name + ".enforce") in params.data ? object.metadata.name + "." : ""'},
        {
            "name": "exempt",
            "expression": 'has(object.metadata.deletionTimestamp) || (variables.prefix == "" && "ignore" in params.data'
            ' && object.metadata.name.matches(params.data["ignore"]))',
        },
        {"name": "ranks", "expression": LEVEL_RANKS},
        {"name": "floorVersion", "expression": 'params.data[variables.prefix + "version"]'},
    ]
    validations = []
    for mode in PSA_MODES:
        key = f"{PSA_PREFIX}{mode}"
        variables.append({"name": mode, "expression": f'"{key}" in variables.labels ? variables.labels["{key}"] : ""'})
        variables.append(
            {"name": f"{mode}Version", "expression": f'"{key}-version" in variables.labels ? variables.labels["{key}-version"] : "latest"'}
        )
        validations.append(
            {
                "expression": f"variables.exempt || (variables.{mode} in variables.ranks && "
                f'variables.ranks[variables.{mode}] >= variables.ranks[params.data[variables.prefix + "{mode}"]])',
                "messageExpression": f'"namespace " + object.metadata.name + ": {key} must be " + '
                f'params.data[variables.prefix + "{mode}"] + " or stricter (fleet-intent security intent)"',
                "message": f"{key} is missing or weaker than the security intent's floor for this namespace",
                "reason": "Forbidden",
            }
        )
        version = f"variables.{mode}Version"
        validations.append(
            {
                "expression": f'variables.exempt || {version} == "latest" || (variables.floorVersion != "latest" && '
                f'{version}.matches("{PSA_VERSION_PATTERN}") && (size({version}) > size(variables.floorVersion) || '
                f"(size({version}) == size(variables.floorVersion) && {version} >= variables.floorVersion)))",
                "messageExpression": f'"namespace " + object.metadata.name + ": {key}-version must be " + '
                'variables.floorVersion + " or newer (fleet-intent security intent)"',
                "message": f"{key}-version pins an older policy version than the security intent's",
                "reason": "Forbidden",
            }
        )
    return _policy(
        PSA_FLOOR,
        {
            "failurePolicy": "Fail",
            "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
            "matchConstraints": {"resourceRules": [_rule("", ["namespaces"])]},
            "variables": variables,
            "validations": validations,
        },
    )


# A subject as the guard spells it (subject_text), in CEL; `s` is the subject being judged.
_SUBJECT = '(s.kind == "ServiceAccount" ? "ServiceAccount:" + (has(s.namespace) ? s.namespace : "") + "/" + s.name : s.kind + ":" + s.name)'
_SAME_SUBJECT = 'o.kind == s.kind && o.name == s.name && (has(o.namespace) ? o.namespace : "") == (has(s.namespace) ? s.namespace : "")'


def cluster_admin_guard_policy() -> dict[str, Any]:
    """The cluster-admin guard. Only bindings to ClusterRole cluster-admin are judged (a match
    condition: `roleRef` is immutable, so an update cannot move a binding into or out of it)."""
    return _policy(
        CLUSTER_ADMIN_GUARD,
        {
            "failurePolicy": "Fail",
            "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
            "matchConstraints": {"resourceRules": [_rule("rbac.authorization.k8s.io", ["clusterrolebindings", "rolebindings"])]},
            "matchConditions": [
                {"name": "binds-cluster-admin", "expression": 'object.roleRef.kind == "ClusterRole" && object.roleRef.name == "cluster-admin"'}
            ],
            "validations": [
                {
                    "expression": "!has(object.subjects) || object.subjects.all(s, "
                    f"params.data.exists(k, params.data[k] == {_SUBJECT}) || "
                    f'(request.operation == "UPDATE" && has(oldObject.subjects) && oldObject.subjects.exists(o, {_SAME_SUBJECT})))',
                    "message": "cluster-admin may be bound only to the subjects the security intent names as cluster-admins",
                    "reason": "Forbidden",
                }
            ],
        },
    )


def aws_auth_guard_policy() -> dict[str, Any]:
    """The aws-auth guard (EKS CONFIG_MAP and API_AND_CONFIG_MAP)."""
    return _policy(
        AWS_AUTH_GUARD,
        {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [_rule("", ["configmaps"], ["aws-auth"])]},
            "matchConditions": [{"name": "kube-system", "expression": 'request.namespace == "kube-system"'}],
            "validations": [
                {
                    "expression": '!has(object.data) || object.data.all(k, !object.data[k].contains("system:masters"))',
                    "message": "aws-auth must not map anyone to system:masters (grant cluster-admin through the security intent)",
                    "reason": "Forbidden",
                },
                {
                    "expression": '!has(object.data) || object.data.all(k, !object.data[k].contains("\\\\"))',
                    "message": "aws-auth must not hold a backslash: a YAML escape can spell system:masters in other characters",
                    "reason": "Forbidden",
                },
            ],
        },
    )
