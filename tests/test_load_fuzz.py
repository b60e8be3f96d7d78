"""Property tests: whatever bytes arrive, the loader returns a model or raises IntentError."""

from __future__ import annotations

import copy
import random

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE, NOW
from intent.errors import IntentError
from intent.load import parse_intent
from intent.model import SecurityIntent

EXAMPLE_DATA = yaml.safe_load(EXAMPLE.read_text())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(["*", "&a", "*a", "<<", "!!python/object", "${x}", "view", "eks", "restricted", "2026-13-45"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)),
    max_leaves=20,
)


def _load(raw: bytes):
    try:
        result = parse_intent(raw, "fuzz.yaml", NOW)
    except IntentError as exc:
        assert exc.problems, "an IntentError always names at least one problem"
        for problem in exc.problems:
            assert problem.line >= 1 and problem.col >= 1
        return None
    assert isinstance(result.intent, SecurityIntent)
    return result


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_give_model_or_intent_error(raw):
    _load(raw)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!<>|'\"# \n\t,?%@`")), max_size=120))
def test_yaml_punctuation_soup(text):
    _load(text.encode())


@settings(max_examples=200, deadline=None)
@given(documents)
def test_random_documents(doc):
    _load(yaml.safe_dump(doc).encode())


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


ALL_PATHS = [p for p in _paths(EXAMPLE_DATA) if p]


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), scalars | documents, st.sampled_from(["replace", "delete", "rename"]))
def test_mutated_example(seed, value, how):
    data = copy.deepcopy(EXAMPLE_DATA)
    path = random.Random(seed).choice(ALL_PATHS)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "replace":
        parent[last] = value
    elif how == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent[str(value)[:10] + "_"] = parent.pop(last)
    _load(yaml.safe_dump(data, sort_keys=False).encode())
