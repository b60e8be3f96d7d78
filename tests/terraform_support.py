"""Running the real `terraform` CLI with the real hashicorp/aws provider on the AWS part of a
generated cluster root (tests/test_real_terraform_eks.py).

The AWS part is chosen by parsing each generated file with python-hcl2, never by file name:

- a file whose blocks all belong to the AWS provider (`resource`/`data` of an `aws_*` type,
  `provider "aws"`; `variable` blocks belong to no provider and may sit beside them) is
  copied byte for byte;
- from a file that mixes AWS blocks with others (e.g. `provider "aws"` next to
  `provider "kubernetes"`), the AWS blocks are taken out and re-rendered with python-hcl2;
- the `terraform` block is rewritten to keep the generated `required_version` and the
  generated `aws` entry of `required_providers` only;
- a file of `variable` blocks only is copied (the AWS blocks may read a variable; unused
  variables cost nothing);
- everything else (kubernetes resources, the namespaces module, ...) is left out.

The kubernetes provider is not in the local mirror, so the Kubernetes half of a root is not
run here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import hcl2

MIRROR = Path(os.environ.get("FLEET_INTENT_TF_PLUGIN_DIR", "/opt/tf-plugins"))
AWS_IN_MIRROR = MIRROR / "registry.terraform.io" / "hashicorp" / "aws"
NEUTRAL = frozenset({"variable"})  # blocks that belong to no provider


def unquote(value: str) -> str:
    """A python-hcl2 quoted-string literal without its quotes."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def owner(kind: str, label: str) -> str:
    """Which provider a top-level block belongs to: `aws` for `resource "aws_x"`, `data "aws_x"`
    and `provider "aws"`; the block kind itself otherwise (`module`, `terraform`, `output`, ...)."""
    if kind in ("resource", "data"):
        return unquote(label).split("_", 1)[0]
    if kind == "provider":
        return unquote(label)
    return kind


LABELLED = frozenset({"resource", "data", "provider", "variable", "module", "output"})


def blocks(parsed: dict) -> list[tuple[str, str, dict]]:
    """Every top-level block of a python-hcl2 document as (kind, first label or "", the item as
    python-hcl2 holds it, so that `hcl2.dumps({kind: [item]})` renders the block again)."""
    found = []
    for kind, items in parsed.items():
        if kind.startswith("__"):  # python-hcl2's own keys (__comments__)
            continue
        for item in items:
            label = next(iter(item)) if kind in LABELLED else ""
            found.append((kind, label, item))
    return found


@dataclass
class AwsPart:
    """What was taken from a generated root: files copied, files split, files left out."""

    copied: list[str]
    extracted: dict[str, list[str]]  # source file -> the AWS blocks taken from it ("provider aws", ...)
    left_out: list[str]


def write_aws_part(root: Path, dest: Path) -> AwsPart:
    """Write the AWS part of the generated root `root` into `dest` (see the module docstring)."""
    dest.mkdir(parents=True, exist_ok=True)
    copied, left_out, extracted = [], [], {}
    terraform_block = None
    for path in sorted(root.glob("*.tf")):
        parsed = hcl2.loads(path.read_text(encoding="utf-8"))
        found = blocks(parsed)
        owners = {owner(kind, label) for kind, label, _ in found if kind not in NEUTRAL}
        if "terraform" in owners:
            if owners != {"terraform"}:
                raise AssertionError(f"{path}: a terraform block beside other blocks is not expected")
            terraform_block = parsed["terraform"][0]
            continue
        if owners <= {"aws"}:
            shutil.copyfile(path, dest / path.name)
            copied.append(path.name)
            continue
        aws_blocks = [(kind, label, body) for kind, label, body in found
                      if kind not in NEUTRAL and owner(kind, label) == "aws"]
        left_out.append(path.name)
        if aws_blocks:
            document: dict[str, list] = {}
            for kind, _, body in aws_blocks:
                document.setdefault(kind, []).append(body)
            (dest / f"aws_from_{path.stem}.tf").write_text(hcl2.dumps(document), encoding="utf-8")
            extracted[path.name] = [f"{kind} {unquote(label)}" for kind, label, _ in aws_blocks]
    if terraform_block is None:
        raise AssertionError(f"{root}: no terraform block in any generated file")
    (dest / "versions.tf").write_text(hcl2.dumps({"terraform": [aws_only_terraform_block(terraform_block)]}),
                                      encoding="utf-8")
    return AwsPart(copied, extracted, left_out)


def aws_only_terraform_block(block: dict) -> dict:
    """The generated terraform block with `required_version` and the `aws` provider requirement only."""
    requirements = [r for r in block.get("required_providers", []) if "aws" in r]
    if len(requirements) != 1:
        raise AssertionError(f"expected one required_providers entry for aws, found {block.get('required_providers')}")
    kept = {"required_providers": [{"aws": requirements[0]["aws"], "__is_block__": True}], "__is_block__": True}
    if "required_version" in block:
        kept = {"required_version": block["required_version"], **kept}
    return kept


def endpoint_override(eks_url: str, sts_url: str) -> str:
    """A Terraform override file merged into the generated `provider "aws"` block: the fake's
    endpoints and static test credentials, and no instance metadata lookups. `region` and
    `allowed_account_ids` stay as generated (the account id is checked against STS)."""
    from fakes.eks_api import SECRET_KEY
    from fakes.providers import AWS_KEY_ID

    return (
        'provider "aws" {\n'
        f'  access_key              = "{AWS_KEY_ID}"\n'
        f'  secret_key              = "{SECRET_KEY}"\n'
        "  skip_metadata_api_check = true\n"
        "\n"
        "  endpoints {\n"
        f'    eks = "{eks_url}"\n'
        f'    sts = "{sts_url}"\n'
        "  }\n"
        "}\n"
    )


class Terraform:
    """The `terraform` CLI with a CLI config that installs providers from the local mirror only."""

    def __init__(self, binary: str, home: Path) -> None:
        self.binary = binary
        home.mkdir(parents=True, exist_ok=True)
        config = home / "terraformrc"
        config.write_text(
            'provider_installation {\n'
            f'  filesystem_mirror {{\n    path = "{MIRROR}"\n  }}\n'
            '}\n',
            encoding="utf-8",
        )
        # Only what Terraform and the provider need: nothing from the host may point them at a
        # real account, a proxy or the network.
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "TF_CLI_CONFIG_FILE": str(config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(home / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
            "NO_PROXY": "127.0.0.1,localhost",
        }

    def run(self, directory: Path, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        """Run `terraform <args>` in `directory`; fail with its output unless the exit code is in `ok`."""
        process = subprocess.run([self.binary, *args], cwd=directory, env=self.env, capture_output=True,
                                 text=True, timeout=300)
        if process.returncode not in ok:
            raise AssertionError(f"terraform {' '.join(args)} in {directory} exited {process.returncode}:\n"
                                 f"{process.stdout}\n{process.stderr}")
        return process
