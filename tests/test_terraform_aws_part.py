"""How the AWS part of a generated root is chosen for the real-Terraform tests
(tests/terraform_support.py): by parsing each file with python-hcl2, never by file name.
Offline: no terraform needed."""

from __future__ import annotations

import shutil

import hcl2
from conftest import ROOT
from terraform_support import blocks, unquote, write_aws_part


def test_aws_part_found_by_parsing_in_either_provider_layout(tmp_path):
    """Classification is by block, not by file name: a providers file that mixes `provider "aws"`
    with `provider "kubernetes"` gives up its AWS block, re-rendered; a file holding
    `provider "aws"` and `data "aws_eks_cluster"` only is copied as it is; a kubernetes
    provider file that reads the AWS data source is left out."""
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "versions.tf").write_text(
        'terraform {\n  required_version = ">= 1.5"\n  required_providers {\n'
        '    aws = {\n      source  = "hashicorp/aws"\n      version = ">= 5.33, < 7.0"\n    }\n'
        '    kubernetes = {\n      source  = "hashicorp/kubernetes"\n      version = "~> 3.0"\n    }\n  }\n}\n')
    (mixed / "settings.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n\nprovider "kubernetes" {\n  config_path = "x"\n}\n')
    split = tmp_path / "split"
    split.mkdir()
    shutil.copy(mixed / "versions.tf", split / "versions.tf")
    (split / "cloud.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n\ndata "aws_eks_cluster" "this" {\n  name = "c"\n}\n')
    (split / "k8s.tf").write_text(
        'provider "kubernetes" {\n  host = data.aws_eks_cluster.this.endpoint\n}\n')

    mixed_part = write_aws_part(mixed, tmp_path / "mixed-part")
    split_part = write_aws_part(split, tmp_path / "split-part")

    assert mixed_part.copied == [] and mixed_part.extracted == {"settings.tf": ["provider aws"]}
    provider = hcl2.loads((tmp_path / "mixed-part" / "aws_from_settings.tf").read_text())["provider"]
    assert [unquote(next(iter(p))) for p in provider] == ["aws"]
    assert split_part.copied == ["cloud.tf"] and split_part.extracted == {} and split_part.left_out == ["k8s.tf"]
    assert (tmp_path / "split-part" / "cloud.tf").read_bytes() == (split / "cloud.tf").read_bytes()
    for part in ("mixed-part", "split-part"):
        terraform_block = hcl2.loads((tmp_path / part / "versions.tf").read_text())["terraform"][0]
        assert terraform_block["required_version"] == '">= 1.5"'
        (providers,) = terraform_block["required_providers"]
        assert {k for k in providers if not k.startswith("__")} == {"aws"}
        assert providers["aws"]["version"] == '">= 5.33, < 7.0"'



def test_aws_part_of_committed_api_root_keeps_the_aws_provider_once_and_no_kubernetes(tmp_path):
    """On the committed prod-use1 root: access.tf and workload-identity.tf are AWS-only and
    copied as they are, the part configures exactly one provider, aws (taken from whichever
    file holds it), and nothing of the Kubernetes side comes along."""
    root = ROOT / "out" / "clusters" / "prod-use1"
    part = write_aws_part(root, tmp_path / "part")

    assert {"access.tf", "workload-identity.tf"} <= set(part.copied)
    assert "namespaces.tf" in part.left_out
    found = [(kind, unquote(label)) for path in (tmp_path / "part").glob("*.tf")
             for kind, label, _ in blocks(hcl2.loads(path.read_text())) if kind != "variable"]
    assert [label for kind, label in found if kind == "provider"] == ["aws"]
    assert all(label.startswith("aws") for kind, label in found if kind in ("resource", "data", "provider"))
    assert {kind for kind, _ in found} <= {"resource", "data", "provider", "terraform"}
