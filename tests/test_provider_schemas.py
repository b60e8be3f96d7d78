"""Generated Terraform against the published schemas of hashicorp/kubernetes, google and azurerm.

No binary of these providers is available offline, so `terraform validate` cannot run. The
schemas checked here are the ones CDK Terrain publishes on PyPI, generated from one exact
provider release each (tests/provider_schemas.py says how they are read; the vendored
extracts, their wheels and hashes are listed in tests/schemas/README.md):

- hashicorp/kubernetes 3.4.0 from cdktn-provider-kubernetes 17.1.0
- hashicorp/google 6.50.0 (the last 6.x) from cdktn-provider-google 16.13.0, and
  7.46.1 from cdktn-provider-google 20.3.1
- hashicorp/azurerm 4.65.0 from cdktn-provider-azurerm 15.5.0, and 5.10.0 from
  cdktn-provider-azurerm 18.9.0

The generated output is checked against every vendored release of a provider (the test id
names it, e.g. `google-6.50.0`); each of them must satisfy the `required_providers`
constraint `generate` writes, and the lower bound of a `>=` constraint must be one of them,
so the oldest release the roots admit is checked as well as the current one.

Every `provider`, `resource` and `data` block of those providers in every generated .tf is
checked: each argument and nested block (`dynamic` and provider blocks such as `exec`
included) exists in the schema of its type, no attribute is written as a block or the
reverse, and every required argument and block is present. hashicorp/aws is not covered
here: its provider binary is available, for tests that run Terraform itself.
"""

from __future__ import annotations

import copy
import functools
import re

import hcl2
import pytest

from generate_support import ROOT, example_data, parse, parse_tf, render, unquote
from provider_schemas import SCHEMA_DIR, check_body, check_file, extract, load_vendored, vendored_versions, version_key

PROVIDERS = ("kubernetes", "google", "azurerm")
CHECKED_ELSEWHERE = frozenset({"aws"})  # see the module docstring
# (provider, version) of every vendored extract: the generated output is checked against each.
RELEASES = [(p, v) for p in PROVIDERS for v in vendored_versions(p)]


@functools.cache
def schema(provider: str, version: str | None = None) -> dict:
    """The vendored extract of one release; without `version`, the newest one."""
    return load_vendored(provider, version)


def schemas() -> dict[str, dict]:
    return {p: schema(p) for p in PROVIDERS}


def release_id(release: tuple[str, str]) -> str:
    """The test id naming the provider release a check covers, e.g. `google-6.50.0`."""
    return "-".join(release)


def variant_data() -> dict:
    """The example with every team on every cluster, plus a twin of each GKE and AKS
    cluster and of the CONFIG_MAP EKS cluster that names a kubeconfig context, so that every
    kind of block and argument `generate` can write appears at least once."""
    data = example_data()
    twins = []
    for cluster in data["clusters"]:
        cluster["teams"] = ["*"]
        if cluster["provider"] != "eks" or cluster["authenticationMode"] == "CONFIG_MAP":
            twin = dict(copy.deepcopy(cluster), name=f"{cluster['name']}-ctx", kubeContext=f"ctx-{cluster['name']}")
            twins.append(twin)
    data["clusters"] += twins
    for team in data["teams"]:
        for namespace in team["namespaces"]:
            namespace.setdefault("annotations", {"acme.example/owner": team["name"]})
    return data


@functools.cache
def generated(which: str) -> dict[str, str]:
    return render(parse(example_data() if which == "example" else variant_data()))


def check_fleet(files: dict[str, str], provider: str, version: str) -> tuple[list[str], set[str]]:
    """(problems, `kind.type` checked) of one provider's blocks across generated files,
    against the schema of one release."""
    problems: list[str] = []
    checked: set[str] = set()
    others = CHECKED_ELSEWHERE | {p for p in PROVIDERS if p != provider}
    for path, text in files.items():
        if path.endswith(".tf"):
            found, kinds = check_file(parse_tf(text), {provider: schema(provider, version)}, path, skip=others)
            problems += found
            checked |= set(kinds)
    return problems, checked


def template_types(provider: str) -> set[str]:
    """`resource.T` / `data.T` of every block of `provider` a template can write."""
    pattern = re.compile(rf'^(resource|data) "({provider}_[a-z0-9_]+)"', re.M)
    found = set()
    for path in (ROOT / "templates").rglob("*.j2"):
        found |= {f"{kind}.{tf_type}" for kind, tf_type in pattern.findall(path.read_text(encoding="utf-8"))}
    return found


# --- the generated output ------------------------------------------------------------------

@pytest.mark.parametrize("which", ["example", "variant"])
@pytest.mark.parametrize("release", RELEASES, ids=release_id)
def test_generated_blocks_match_the_published_schema(release, which):
    """Every block of the provider in the generated fleet uses only arguments and nested
    blocks that the published schema of that release knows, and all its required ones."""
    provider, version = release
    problems, checked = check_fleet(generated(which), provider, version)
    assert problems == [], "\n".join(problems)
    assert f"provider.{provider}" in checked
    if which == "variant":
        missing = template_types(provider) - checked
        assert not missing, f"the variant renders no {sorted(missing)}: extend variant_data() so every template is checked"


@pytest.mark.parametrize("release", RELEASES, ids=release_id)
def test_committed_out_matches_the_published_schema(release):
    """The committed out/ (what users copy) passes the same check."""
    out = ROOT / "out"
    if not (out / "MANIFEST.json").is_file():
        pytest.skip("out/ has not been generated in this checkout")
    files = {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in out.rglob("*.tf")}
    problems, checked = check_fleet(files, *release)
    assert problems == [], "\n".join(problems)
    assert checked


def _satisfies(version: str, constraint: str) -> bool:
    """Terraform version-constraint semantics for the operators fleet-intent writes."""
    have = version_key(version)
    for clause in constraint.split(","):
        op, _, wanted = clause.strip().partition(" ")
        want = version_key(wanted.strip())
        padded = want + (0,) * (len(have) - len(want))
        if op == "~>":
            upper = (*want[:-2], want[-2] + 1) if len(want) > 1 else (want[0] + 1,)
            ok = have >= padded and have[: len(upper)] < upper
        else:
            ok = {">=": have >= padded, ">": have > padded, "<": have < padded, "<=": have <= padded,
                  "=": have == padded, "!=": have != padded}[op]
        if not ok:
            return False
    return True


def test_version_constraint_reading():
    assert _satisfies("3.4.0", "~> 3.0") and not _satisfies("4.0.0", "~> 3.0") and not _satisfies("2.38.0", "~> 3.0")
    assert _satisfies("3.4.1", "~> 3.4.0") and not _satisfies("3.5.0", "~> 3.4.0")
    assert _satisfies("6.2.0", ">= 5.33, < 7.0") and not _satisfies("5.32.0", ">= 5.33, < 7.0")
    assert _satisfies("6.50.0", ">= 6.50, < 8.0") and _satisfies("7.46.1", ">= 6.50, < 8.0")
    assert not _satisfies("6.49.0", ">= 6.50, < 8.0") and not _satisfies("8.0.0", ">= 6.50, < 8.0")


def generated_constraints(provider: str) -> set[str]:
    """Every version constraint the variant fleet's versions.tf files write for a provider."""
    constraints = set()
    for path, text in generated("variant").items():
        if path.endswith("versions.tf"):
            for block in parse_tf(text).get("terraform", []):
                for required in block.get("required_providers", []):
                    if provider in required:
                        assert unquote(required[provider]["source"]) == f"hashicorp/{provider}"
                        constraints.add(unquote(required[provider]["version"]))
    assert constraints
    return constraints


@pytest.mark.parametrize("release", RELEASES, ids=release_id)
def test_checked_release_is_one_the_generated_constraint_admits(release):
    """A check against a release the generated `required_providers` would refuse proves
    nothing: every vendored schema's version must satisfy every constraint written for it."""
    provider, version = release
    constraints = generated_constraints(provider)
    assert all(_satisfies(version, c) for c in constraints), f"hashicorp/{provider} {version} vs {constraints}"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_lowest_admitted_release_is_checked(provider):
    """Where a constraint names its lower bound (`>= 6.50`), that release is one of those
    checked: a root that admits a release nobody checked could fail at `terraform plan`."""
    for constraint in generated_constraints(provider):
        for clause in constraint.split(","):
            op, _, wanted = clause.strip().partition(" ")
            if op == ">=":
                want = version_key(wanted.strip())
                assert any(version_key(v)[: len(want)] == want and not any(version_key(v)[len(want):])
                           for v in vendored_versions(provider)), (
                    f"hashicorp/{provider} {constraint}: vendor the schema of {wanted.strip()} (tests/schemas/README.md)")


def test_every_generated_provider_has_a_schema_here_or_is_checked_elsewhere():
    names = set()
    for path, text in generated("variant").items():
        if path.endswith("versions.tf"):
            for block in parse_tf(text).get("terraform", []):
                for required in block.get("required_providers", []):
                    names |= {k for k in required if k != "__is_block__"}
    assert names - CHECKED_ELSEWHERE == set(PROVIDERS)


# --- the checker finds what it must --------------------------------------------------------

def problems_of(text: str, provider: str) -> list[str]:
    return check_file(hcl2.loads(text), {provider: schema(provider)}, "t.tf")[0]


def test_checker_accepts_a_kubernetes_provider_with_an_exec_block():
    """hashicorp/kubernetes 3.4.0: `exec` is a nested block of the provider with required
    `api_version` and `command` (provider docs, "exec" block)."""
    text = '''
provider "kubernetes" {
  host                   = "https://example"
  cluster_ca_certificate = "x"
  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = "kubelogin"
    args        = ["get-token"]
  }
}
'''
    assert problems_of(text, "kubernetes") == []
    broken = text.replace('    api_version = "client.authentication.k8s.io/v1beta1"\n', "").replace("exec {", "exec {\n    bogus = 1")
    assert problems_of(broken, "kubernetes") == [
        "t.tf:provider.kubernetes.exec: 'bogus' is not an argument or block of the schema",
        "t.tf:provider.kubernetes.exec: required argument 'api_version' is missing",
    ]


def test_checker_finds_unknown_missing_and_misplaced_arguments():
    text = '''
resource "kubernetes_role_binding_v1" "x" {
  metadata = { name = "a" }
  subject {
    kind = "User"
    name = "u"
    namspace = "typo"
  }
  depends_on = [module.namespaces]
}
'''
    assert problems_of(text, "kubernetes") == [
        "t.tf:resource.kubernetes_role_binding_v1.x: 'metadata' is a block in the schema but written as an argument",
        "t.tf:resource.kubernetes_role_binding_v1.x.subject: 'namspace' is not an argument or block of the schema",
        "t.tf:resource.kubernetes_role_binding_v1.x: required block 'role_ref' is missing",
    ]


def test_checker_reads_dynamic_blocks_and_unknown_types():
    text = '''
resource "kubernetes_cluster_role_binding_v1" "x" {
  metadata { name = "a" }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "view"
  }
  dynamic "subject" {
    for_each = var.subjects
    content {
      kind  = "Group"
      name  = subject.value
      extra = 1
    }
  }
}
resource "kubernetes_nothing_v9" "y" {}
'''
    assert problems_of(text, "kubernetes") == [
        "t.tf:resource.kubernetes_cluster_role_binding_v1.x.subject: 'extra' is not an argument or block of the schema",
        "t.tf:resource.kubernetes_nothing_v9.y: hashicorp/kubernetes 3.4.0 has no resource type 'kubernetes_nothing_v9'",
    ]


def test_azurerm_4_65_federated_credential_takes_the_identity_id():
    """The lower bound of the generated azurerm constraint: `user_assigned_identity_id` of
    azurerm_federated_identity_credential first appears in 4.65.0, optional and in conflict
    with the deprecated `parent_id` (hashicorp/terraform-provider-azurerm#31921); up to
    4.64.0 the schema requires `parent_id` and has no `user_assigned_identity_id` (the
    assembly of cdktn-provider-azurerm 15.4.0, not vendored; 15.5.0 is 4.65.0)."""
    fic = schema("azurerm", "4.65.0")["resources"]["azurerm_federated_identity_credential"]
    assert fic["attributes"]["user_assigned_identity_id"] is False
    assert fic["attributes"]["parent_id"] is False
    text = '''
resource "azurerm_federated_identity_credential" "x" {
  name                      = "n"
  user_assigned_identity_id = "/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/i"
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = "https://issuer"
  subject                   = "system:serviceaccount:ns:sa"
}
'''
    assert check_file(hcl2.loads(text), {"azurerm": schema("azurerm", "4.65.0")}, "t.tf")[0] == []


def test_azurerm_5_federated_credential_has_no_parent_id():
    """hashicorp/azurerm 5.x removed `parent_id` and `resource_group_name` of
    azurerm_federated_identity_credential (deprecated in 4.x for `user_assigned_identity_id`,
    which 5.x requires): fleet-intent writes `user_assigned_identity_id` only."""
    fic = schema("azurerm")["resources"]["azurerm_federated_identity_credential"]
    assert fic["attributes"]["user_assigned_identity_id"] is True
    assert "parent_id" not in fic["attributes"] and "resource_group_name" not in fic["attributes"]
    text = '''
resource "azurerm_federated_identity_credential" "x" {
  name      = "n"
  parent_id = "/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/i"
  audience  = ["api://AzureADTokenExchange"]
  issuer    = "https://issuer"
  subject   = "system:serviceaccount:ns:sa"
}
'''
    assert problems_of(text, "azurerm") == [
        "t.tf:resource.azurerm_federated_identity_credential.x: 'parent_id' is not an argument or block of the schema",
        "t.tf:resource.azurerm_federated_identity_credential.x: required argument 'user_assigned_identity_id' is missing",
    ]


def test_blocks_of_other_providers_need_a_schema_or_an_explicit_skip():
    parsed = hcl2.loads('resource "random_id" "x" {}\nresource "aws_eks_access_entry" "y" {}\nresource "terraform_data" "z" {}\n')
    problems, checked = check_file(parsed, schemas(), "t.tf", skip=CHECKED_ELSEWHERE)
    assert problems == ["t.tf:resource.random_id.x: no published schema vendored for provider 'random'"]
    assert checked == []


# --- reading the published assembly --------------------------------------------------------

def _prop(name: str, tf_name: str, type_ref: dict, optional: bool, block: bool = False) -> dict:
    link = f"{{@link https://registry.terraform.io/providers/hashicorp/demo/1.2.3/docs/resources/thing#{tf_name} Thing#{tf_name}}}"
    docs = {"summary": f"{tf_name} block.", "remarks": f"Docs at Terraform Registry: {link}"} if block else {"summary": f"Docs at Terraform Registry: {link}."}
    return {"name": name, "type": type_ref, "docs": docs, **({"optional": True} if optional else {})}


def test_extract_reads_names_required_flags_and_blocks_from_a_jsii_assembly():
    """The shape CDK Terrain generates: a class per type whose summary links the registry
    page of one release, a config struct per class, a struct per nested block."""
    a = "@cdktn/provider-demo"
    link = "https://registry.terraform.io/providers/hashicorp/demo/1.2.3/docs"
    assembly = {"name": a, "version": "9.0.0", "types": {
        f"{a}.provider.DemoProvider": {"kind": "class", "docs": {"summary": f"Represents a {{@link {link} demo}}."},
                                       "initializer": {"parameters": [{"name": "config", "type": {"fqn": f"{a}.provider.DemoProviderConfig"}}]}},
        f"{a}.provider.DemoProviderConfig": {"kind": "interface", "datatype": True, "properties": [
            _prop("alias", "alias", {"primitive": "string"}, True)]},
        f"{a}.thing.Thing": {"kind": "class", "docs": {"summary": f"Represents a {{@link {link}/resources/thing demo_thing}}."},
                             "initializer": {"parameters": [{"name": "config", "type": {"fqn": f"{a}.thing.ThingConfig"}}]}},
        f"{a}.thing.ThingConfig": {"kind": "interface", "datatype": True, "properties": [
            _prop("nameAttribute", "name", {"primitive": "string"}, False),
            _prop("tags", "tags", {"collection": {"kind": "map", "elementtype": {"primitive": "string"}}}, True),
            _prop("rule", "rule", {"union": {"types": [{"fqn": "cdktn.IResolvable"}, {"collection": {"kind": "array", "elementtype": {"fqn": f"{a}.thing.ThingRule"}}}]}}, False, block=True),
        ]},
        f"{a}.thing.ThingRule": {"kind": "interface", "datatype": True, "properties": [
            _prop("ipv4Cidr", "ipv4_cidr", {"primitive": "string"}, True),
            _prop("rule", "rule", {"fqn": f"{a}.thing.ThingRule"}, True, block=True),
        ]},
    }}
    out = extract(assembly)
    assert (out["provider"], out["version"]) == ("hashicorp/demo", "1.2.3")
    assert out["provider_config"] == {"attributes": {"alias": False}, "blocks": {}}
    thing = out["resources"]["demo_thing"]
    assert thing["attributes"] == {"name": True, "tags": False}
    assert thing["blocks"]["rule"]["required"] is True
    rule = thing["blocks"]["rule"]["block"]
    assert rule["attributes"] == {"ipv4_cidr": False}
    assert rule["blocks"]["rule"]["block"] == {"attributes": {}, "blocks": {}, "recursive": True}
    assert check_body({"name": '"n"', "rule": [{"ipv4_cidr": '"x"', "__is_block__": True}]}, thing, "t") == []


@pytest.mark.parametrize("release", RELEASES, ids=release_id)
def test_vendored_extract_names_its_release(release):
    """Each extract is one whole provider release (so new resource types are checked too),
    recorded with the package it came from."""
    provider, version = release
    data = schema(provider, version)
    assert data["provider"] == f"hashicorp/{provider}"
    assert data["version"] == version
    assert data["package"]["assembly"] == f"@cdktn/provider-{provider}"
    assert len(data["resources"]) > 50 and data["provider_config"]["attributes"]
    readme = (SCHEMA_DIR.parent / "README.md").read_text(encoding="utf-8")
    assert f"cdktn-provider-{provider}` {data['package']['version']}" in readme and f"{release_id(release)}.json" in readme


def test_newest_release_is_the_default_schema():
    """Releases sort as numbers, so the checker's own tests use the newest one."""
    assert version_key("6.50.0") < version_key("7.46.1") < version_key("10.0.0")
    assert vendored_versions("google") == ["6.50.0", "7.46.1"] and schema("google")["version"] == "7.46.1"
