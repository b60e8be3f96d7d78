"""Validation rules added after the red-team review: reserved namespace labels (R17), AWS
partitions (R18) and the lax checks of R19."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import EXAMPLE, NOW
from intent.errors import IntentError
from intent.load import parse_intent

DATA = yaml.safe_load(EXAMPLE.read_text())


def _dump(data) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def _parse(data):
    return parse_intent(_dump(data), "r.yaml", NOW)


def _problems(data) -> list:
    with pytest.raises(IntentError) as caught:
        _parse(data)
    return caught.value.problems


def _example():
    return copy.deepcopy(DATA)


# --- R17: labels fleet-intent or Kubernetes set on a namespace ---------------------------------

@pytest.mark.parametrize(
    "key, value, words",
    [
        ("pod-security.kubernetes.io/enforce", "privileged", "podSecurity"),
        ("pod-security.kubernetes.io/warn-version", "v1.30", "podSecurity"),
        ("app.kubernetes.io/managed-by", "evil", "fleet-intent"),
        ("fleet-intent/team", "other", "owning team"),
        ("kubernetes.io/metadata.name", "other", "Kubernetes"),
    ],
)
def test_a_reserved_namespace_label_is_an_error_naming_it(key, value, words):
    data = _example()
    data["teams"][0]["namespaces"][1]["labels"][key] = value
    [problem] = _problems(data)
    assert problem.path == f"teams[0].namespaces[1].labels.{key}"
    assert key in problem.message and words in problem.message
    lines = _dump(data).decode().splitlines()
    assert lines[problem.line - 1].strip().startswith(f"{key}:")


def test_psa_label_error_says_where_a_weaker_level_goes():
    data = _example()
    data["teams"][0]["namespaces"][0]["labels"] = {"pod-security.kubernetes.io/enforce": "privileged"}
    [problem] = _problems(data)
    assert "exceptions" in problem.message and "podSecurity" in problem.message


@pytest.mark.parametrize("command", ["validate", "plan", "generate"])
def test_reserved_label_fails_every_command(run, tmp_path, command):
    data = _example()
    data["teams"][1]["namespaces"][0]["labels"]["app.kubernetes.io/managed-by"] = "evil"
    intent = tmp_path / "r.yaml"
    intent.write_bytes(_dump(data))
    extra = ["-o", tmp_path / "out"] if command == "generate" else []
    code, out, err = run(command, intent, *extra)
    assert code == 2 and "app.kubernetes.io/managed-by" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_other_prefixed_labels_and_annotations_stay_allowed():
    data = _example()
    data["teams"][0]["namespaces"][1]["labels"]["app.kubernetes.io/part-of"] = "payments"
    data["teams"][0]["namespaces"][1]["annotations"] = {"pod-security.kubernetes.io/note": "set by fleet-intent"}
    assert _parse(data).intent.teams[0].namespaces[1].labels["app.kubernetes.io/part-of"] == "payments"
