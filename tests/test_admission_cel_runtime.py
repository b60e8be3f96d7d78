"""What the admission policies ask of CEL, and that the test harness's CEL is the API server's.

Functions and macros. The generated policies are meant to use standard CEL only (google/
cel-spec doc/langdef.md, "Standard Definitions" and "Macros"), none of the Kubernetes CEL
libraries (lists, regex `find`, strings `split`, url, quantity, authorizer). The test below
walks every expression of every committed policy with cel-python's parser and finds exactly
these calls, each covered by the tables in tests/test_admission_cel_psa.py and
tests/test_admission_cel_guards.py:

- `has(x.f)` (macro): labels absent (`no labels at all`), `deletionTimestamp` set, a binding
  without `subjects`, an old binding without subjects, an aws-auth without `data`, a
  ServiceAccount subject's `namespace`.
- `in` (map keys): a label present or missing, a managed namespace (`<ns>.enforce` in params)
  or not, `ignore` in params or not (a fleet with `ignoreNamespaces: []`), a level known or not
  (`Restricted`).
- `size(string)`: the version comparison (`v1.100` vs `v1.30`, `v1.9` vs `v1.30`).
- `matches` (RE2): the ignore pattern (ignored, globbed, anchored names) and the PSA version
  syntax (`v1.030`, `1.31`, `v1.31 `).
- `contains`: aws-auth text with `system:masters` and with a backslash.
- `all` / `exists` (macros): over a binding's subjects, the allowed subjects (a map: its keys),
  the old binding's subjects, and aws-auth's keys.
- string ordering (`>=` on equal-length versions), int ordering (level ranks), the conditional
  `? :`, `&&`, `||`, `!`, `==`, `!=`, `+` on strings, map and index access, map literals.

Regular expressions: the API server's CEL is cel-go, whose `matches` is RE2 (langdef.md,
"Regular Expressions": RE2 syntax, a match of any substring). cel-python 0.5.0 implements
`matches` with `re2.search` too (celpy/evaluation.py, function_matches; its dependency
google-re2), which the test below proves by a pattern only Python's `re` accepts. The ignore
pattern is also compiled with Python's `re` elsewhere in the project (and its fnmatch
equivalence is proven there with `re`), so the two engines are compared over random names.
One known difference does not matter: Python's `$` also matches before a final newline,
RE2's does not, and a namespace name (a DNS label) holds no newline.
"""

from __future__ import annotations

import fnmatch
import re

import pytest
import re2
from hypothesis import given
from hypothesis import strategies as st

import admission_cel
from admission_cel import Request, committed_documents as committed, evaluate, judge, named, program
from intent.admission import PSA_VERSION_PATTERN, ignore_pattern

CLUSTERS = ("prod-use1", "stage-use1", "legacy-usw2", "prod-euw1", "prod-weu", "dev-weu")
STANDARD = {"has", "in", "size", "matches", "contains", "all", "exists"}


def _expressions() -> dict[str, str]:
    """Every CEL expression of every committed policy, by where it is."""
    found: dict[str, str] = {}
    for cluster in CLUSTERS:
        for doc in committed(cluster):
            if doc["kind"] != "ValidatingAdmissionPolicy":
                continue
            spec, name = doc["spec"], doc["metadata"]["name"]
            for part in ("variables", "matchConditions"):
                for item in spec.get(part, []):
                    found[f"{name}.{part}.{item['name']}"] = item["expression"]
            for i, validation in enumerate(spec["validations"]):
                found[f"{name}.validations[{i}]"] = validation["expression"]
                if "messageExpression" in validation:
                    found[f"{name}.validations[{i}].messageExpression"] = validation["messageExpression"]
    return found


def _calls(tree) -> set[str]:
    """The functions, macros and `in` one cel-python parse tree uses."""
    out: set[str] = set()
    for node in tree.iter_subtrees():
        if node.data == "ident_arg":
            out.add(str(node.children[0]))
        elif node.data == "member_dot_arg":
            out.add(str(node.children[1]))
        elif node.data == "relation_in":
            out.add("in")
    return out


def test_the_policies_call_only_standard_cel():
    expressions = _expressions()
    assert {w.split(".")[0] for w in expressions} == {"fleet-intent-psa-floor", "fleet-intent-cluster-admin-guard", "fleet-intent-aws-auth-guard"}
    used: set[str] = set()
    for where, expression in expressions.items():
        tree = program(expression).ast  # compiles, or the test fails here
        calls = _calls(tree)
        assert calls <= STANDARD, (where, calls - STANDARD)
        used |= calls
    # All of them in use: the docstring's list is the policies' whole vocabulary.
    assert used == STANDARD


def test_celpy_matches_is_re2():
    # A lookahead is valid in Python's re, not in RE2: celpy's error proves it uses RE2.
    assert re.search("(?=a)a", "a")
    with pytest.raises(re2.error):
        re2.compile("(?=a)a")
    assert isinstance(evaluate('"a".matches("(?=a)a")', {}), admission_cel.CELEvalError)
    assert evaluate('"kube-system".matches("^(kube-.*)$")', {})
    assert not evaluate('"xkube-system".matches("^(kube-.*)$")', {})


_PATTERN = st.text(alphabet="ab-z0*?[]!", min_size=1, max_size=8)
# Namespace-like names, plus characters a pattern class could trip on.
_NAME = st.text(alphabet="ab-z0.[]!^\\", min_size=1, max_size=8)


@given(st.lists(_PATTERN, min_size=1, max_size=4), st.lists(_NAME, min_size=1, max_size=8))
def test_ignore_pattern_compiles_and_matches_alike_in_re2_and_python(patterns, names):
    pattern = ignore_pattern(patterns)
    compiled_re2, compiled_re = re2.compile(pattern), re.compile(pattern)
    for name in names:
        expected = any(fnmatch.fnmatchcase(name, p) for p in patterns)
        assert bool(compiled_re2.search(name)) == bool(compiled_re.search(name)) == expected, (patterns, name)


def _version_regex() -> str:
    """The PSA version pattern as the policy's CEL reads it (a CEL string literal's value)."""
    policy = named(committed("legacy-usw2"), "ValidatingAdmissionPolicy", "fleet-intent-psa-floor")
    literal = f'"{PSA_VERSION_PATTERN}"'
    assert all(literal in v["expression"] for v in policy["spec"]["validations"][1::2])
    return str(evaluate(literal, {}))


# k8s.io/pod-security-admission api/helpers.go, ParseVersion (as intent/model.py cites it).
PSA_PARSE_VERSION = r"^v1\.([0-9]|[1-9][0-9]*)$"


@given(st.one_of(st.text(alphabet="v1.0239 ", max_size=8), st.from_regex(r"v1\.[0-9]{1,4}", fullmatch=True)))
def test_psa_version_pattern_is_pod_security_admissions_in_re2_and_python(text):
    regex = _version_regex()
    assert regex == r"^v1\.(0|[1-9][0-9]*)$"
    expected = re.search(PSA_PARSE_VERSION, text) is not None
    assert (re2.search(regex, text) is not None) == (re.search(regex, text) is not None) == expected, text


# --- The harness's own semantics (failurePolicy Fail, lazy variables, match conditions) ----


def _policy(**spec) -> dict:
    base = {"failurePolicy": "Fail", "matchConstraints": {"resourceRules": [
        {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": ["configmaps"]}
    ]}}
    return {"kind": "ValidatingAdmissionPolicy", "metadata": {"name": "t"}, "spec": {**base, **spec}}


def _cm(**data) -> Request:
    return Request("CREATE", "configmaps", {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}, "data": data})


def test_an_evaluation_error_is_a_rejection():
    verdict = judge(_policy(validations=[{"expression": 'object.data["missing"] == "x"', "message": "m"}]), _cm())
    assert not verdict.admitted and verdict.errors


def test_a_false_match_condition_skips_and_an_erroring_one_rejects():
    skipped = judge(_policy(matchConditions=[{"name": "a", "expression": "false"}, {"name": "b", "expression": "1/0 == 1"}],
                            validations=[{"expression": "false"}]), _cm())
    assert not skipped.matched and skipped.admitted
    failed = judge(_policy(matchConditions=[{"name": "b", "expression": "1/0 == 1"}], validations=[{"expression": "true"}]), _cm())
    assert failed.matched and not failed.admitted


def test_variables_are_lazy_and_see_earlier_ones():
    policy = _policy(
        variables=[{"name": "a", "expression": '"x"'}, {"name": "b", "expression": 'variables.a + "y"'}, {"name": "boom", "expression": "1/0"}],
        validations=[{"expression": 'variables.b == "xy" || variables.boom == 1'}, {"expression": "true || variables.boom == 1"}],
    )
    assert judge(policy, _cm()).admitted  # boom is never read
    unread = _policy(variables=[{"name": "boom", "expression": "1/0"}], validations=[{"expression": "variables.boom == 1"}])
    assert not judge(unread, _cm()).admitted


def test_a_message_expression_error_falls_back_to_the_message():
    verdict = judge(_policy(validations=[{"expression": "false", "messageExpression": "1/0", "message": "fallback"}]), _cm())
    assert verdict.violations == ["fallback"] and verdict.errors


def test_unemulated_match_constraints_are_refused():
    policy = _policy()
    policy["spec"]["matchConstraints"]["namespaceSelector"] = {}
    with pytest.raises(NotImplementedError):
        judge(policy, _cm())
