"""Hostile YAML scalars: core tags whose constructor cannot take the value, and date-like keys
that are not dates, give one `file:line:col: path: message` line each and exit 2 (R2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE, NOW
from intent.errors import IntentError
from intent.load import parse_intent

HEAD = "apiVersion: fleet-intent/v1\nkind: SecurityIntent\n"

# (the line after HEAD, the column the problem is reported at, the path, words in the message)
CASES = {
    "key-bad-month": ("2020-13-45: x", 1, "", "2020-13-45"),
    "key-bad-day": ("2020-02-30: x", 1, "", "2020-02-30"),
    "bool-value": ("a: !!bool abc", 4, "a", "'abc'"),
    "int-empty": ('a: !!int ""', 4, "a", "''"),
    "float-empty": ('a: !!float ""', 4, "a", "''"),
    "timestamp-empty": ('a: !!timestamp ""', 4, "a", "''"),
    "timestamp-word": ("a: !!timestamp foo", 4, "a", "'foo'"),
    "bool-key": ("!!bool abc: x", 1, "", "'abc'"),
    "int-key": ('!!int "": x', 1, "", "''"),
    "float-key": ('!!float "": x', 1, "", "''"),
    "timestamp-empty-key": ('!!timestamp "": x', 1, "", "''"),
    "timestamp-word-key": ("!!timestamp foo: x", 1, "", "'foo'"),
    "float-word-key": ("!!float abc: x", 1, "", "'abc'"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_unreadable_scalar_is_one_problem_at_its_line(name):
    line, col, path, words = CASES[name]
    with pytest.raises(IntentError) as caught:
        parse_intent((HEAD + line + "\n").encode(), "t.yaml", NOW)
    rendered = [str(p) for p in caught.value.problems]
    assert len(rendered) == 1, rendered
    assert rendered[0].startswith(f"t.yaml:3:{col}: {path or '<document>'}: "), rendered
    assert words in rendered[0] and "cannot read" in rendered[0], rendered


def test_an_unreadable_key_deep_in_the_example_names_its_path():
    text = EXAMPLE.read_text().replace("labels: {cost-centre: \"42\"}", "labels: {2020-02-30: x}")
    with pytest.raises(IntentError) as caught:
        parse_intent(text.encode(), "ex.yaml", NOW)
    [problem] = caught.value.problems
    assert problem.path == "teams[0].namespaces[1].labels"
    assert "'2020-02-30'" in problem.message and "quote" in problem.message


@pytest.mark.parametrize("command", ["validate", "plan", "generate", "check"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_command_exits_2_with_one_line_per_problem(run, tmp_path, command, name):
    intent = tmp_path / "t.yaml"
    intent.write_text(HEAD + CASES[name][0] + "\n")
    extra = {"generate": ["-o", tmp_path / "out"], "check": ["--snapshot", tmp_path]}.get(command, [])
    code, out, err = run(command, intent, *extra)
    assert code == 2
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0].startswith(f"{intent}:3:") and "cannot read" in lines[0]
    assert lines[1:] == ["1 problem(s) found"]


TAGS = ["", "!!bool", "!!int", "!!float", "!!timestamp", "!!null", "!!str", "!!map", "!!seq"]
TEXT = st.text(alphabet=st.sampled_from(list("0123456789-+_:.eExXoObB TZtfnNyYaA")), max_size=16)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(TAGS), TEXT, st.booleans(), st.booleans())
def test_any_tagged_scalar_gives_a_model_or_an_intent_error(tag, text, quoted, as_key):
    scalar = f'{tag} "{text}"' if quoted else f"{tag} {text}"
    line = f"{scalar}: x" if as_key else f"a: {scalar}"
    with pytest.raises(IntentError) as caught:  # `a` (or the key) is never a valid intent field
        parse_intent((HEAD + line + "\n").encode(), "t.yaml", NOW)
    assert caught.value.problems and all(p.line >= 1 and p.col >= 1 for p in caught.value.problems)


def test_a_huge_sexagesimal_integer_is_refused_not_computed():
    # YAML 1.1 reads 1:30:30 as base 60; building a 600 000-part one takes quadratic time.
    with pytest.raises(IntentError) as caught:
        parse_intent((HEAD + "a: 1" + ":30" * 200_000 + "\n").encode(), "t.yaml", NOW)
    [problem] = caught.value.problems
    assert problem.path == "a" and "too long" in problem.message and len(str(problem)) < 300
