"""`check --terraform`: users' own templates against the example intent (FI-TF-*, SPEC §8)."""

from __future__ import annotations

import json

import shutil
import textwrap
from pathlib import Path

import hcl2
import lark
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from intent.errors import UsageError
from intent.plan import plan_fleet
from intent.generate.render import hcl_string
from intent.check.terraform import scan_terraform
from intent.check.terraform.hclvalues import Expr, decode_string

from conftest import FIXTURES, NOW

TF = FIXTURES / "terraform"
REL = "fixtures/terraform"


@pytest.fixture
def scan(loaded_example, monkeypatch):
    """Scan specs relative to the repository root, as a user passes them on the command line."""
    monkeypatch.chdir(FIXTURES.parent)
    intent = loaded_example.intent
    fleet = plan_fleet(intent, NOW)

    def run(*specs: str):
        return scan_terraform(list(specs), fleet, intent)

    return run


def keyset(findings) -> set[tuple]:
    return {(f.rule, f.severity.value, f.cluster, f.object, f.file, f.line) for f in findings}


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_scan_namespaces_pre_psa_flags_each_namespace(scan):
    findings, errors = scan(f"{REL}/namespaces-pre-psa")
    assert errors == []
    assert keyset(findings) == {
        ("FI-TF-001", "high", None, "kubernetes_namespace.payments", f"{REL}/namespaces-pre-psa/main.tf", 3),
        ("FI-TF-001", "high", None, "kubernetes_namespace.checkout", f"{REL}/namespaces-pre-psa/main.tf", 14),
    }
    payments = next(f for f in findings if f.namespace == "payments")
    assert payments.team == "payments" and payments.owner == "payments-oncall@acme.example"
    assert payments.expected == "enforce=restricted audit=restricted warn=restricted version=latest"
    assert "enforce missing" in payments.message


def test_scan_eks_module_extra_admin_is_undeclared_cluster_admin(scan):
    findings, errors = scan(f"{REL}/eks-module-extra-admin")
    assert errors == []
    assert keyset(findings) == {
        (
            "FI-TF-002",
            "high",
            "prod-use1",
            'module.eks.access_entries["contractor-admin"]',
            f"{REL}/eks-module-extra-admin/main.tf",
            91,  # the `contractor-admin = {` entry inside module "eks"
        )
    }
    (finding,) = findings
    assert finding.team is None and finding.owner == "platform-security@acme.example"
    assert "not in clusterAccess cluster-admin" in finding.message


def test_scan_aws_auth_masters_flags_only_the_system_masters_role(scan):
    findings, errors = scan(f"{REL}/aws-auth-masters")
    assert errors == []
    assert keyset(findings) == {
        (
            "FI-TF-002",
            "high",
            "legacy-usw2",
            'kubernetes_config_map_v1_data.aws_auth.data.mapRoles["arn:aws:iam::111122223333:role/break-glass"]',
            f"{REL}/aws-auth-masters/aws-auth.tf",
            40,  # the break-glass rolearn inside the ConfigMap
        )
    }
    assert "system:masters" in findings[0].message


def test_scan_correct_template_has_no_findings(scan):
    assert scan(f"{REL}/correct") == ([], [])


def test_scan_unparsable_names_file_and_still_scans_the_other(scan):
    findings, errors = scan(f"{REL}/unparsable")
    assert len(errors) == 1
    assert errors[0].startswith(f"{REL}/unparsable/broken.tf: cannot parse: ")
    assert keyset(findings) == {
        ("FI-TF-001", "high", None, "kubernetes_namespace_v1.checkout", f"{REL}/unparsable/valid.tf", 1),
        # EXC-042 is limited to two clusters, so fleet-wide payments-batch must enforce baseline.
        ("FI-TF-001", "high", None, "kubernetes_namespace_v1.payments_batch", f"{REL}/unparsable/valid.tf", 11),
    }


def test_scan_name_spec_compares_with_that_cluster(scan):
    findings, _ = scan(f"prod-use1={REL}/namespaces-pre-psa")
    assert {(f.rule, f.cluster, f.object) for f in findings} == {
        ("FI-TF-001", "prod-use1", "kubernetes_namespace.payments"),
        ("FI-TF-001", "prod-use1", "kubernetes_namespace.checkout"),
        ("FI-TF-003", "prod-use1", "Namespace/payments-batch"),
    }
    missing = next(f for f in findings if f.rule == "FI-TF-003")
    assert missing.severity.value == "medium" and missing.team == "payments"


def test_scan_unknown_cluster_name_is_usage_error(scan):
    with pytest.raises(UsageError, match="no cluster 'nope'"):
        scan(f"nope={REL}/correct")
    with pytest.raises(UsageError, match="no such directory"):
        scan(f"{REL}/does-not-exist")


def test_scan_expression_label_is_cannot_evaluate_info(scan, tmp_path):
    write(
        tmp_path,
        "ns.tf",
        """
        variable "enforce" {
          type = string
        }

        resource "kubernetes_namespace_v1" "checkout" {
          metadata {
            name = "checkout"
            labels = {
              "pod-security.kubernetes.io/enforce" = var.enforce
              "pod-security.kubernetes.io/audit"   = "restricted"
              "pod-security.kubernetes.io/warn"    = "restricted"
            }
          }
        }
        """,
    )
    findings, errors = scan(str(tmp_path))
    assert errors == []
    assert [(f.rule, f.severity.value, f.message.split(":")[0], f.line) for f in findings] == [
        ("FI-TF-001", "info", "cannot evaluate var.enforce", 5)
    ]


def test_scan_for_each_namespaces_are_not_guessed(scan, tmp_path):
    write(
        tmp_path,
        "ns.tf",
        """
        # fleet-intent/cluster: prod-use1
        resource "kubernetes_namespace_v1" "team" {
          for_each = toset(["payments", "checkout"])
          metadata {
            name = each.key
          }
        }
        """,
    )
    findings, _ = scan(str(tmp_path))
    assert [(f.rule, f.severity.value, f.cluster, f.actual) for f in findings] == [
        ("FI-TF-001", "info", "prod-use1", "each.key")
    ]


def test_scan_correct_copy_missing_and_broader_role_assignments(scan, tmp_path):
    copy = tmp_path / "aks"
    shutil.copytree(TF / "correct", copy)
    access = (copy / "access.tf").read_text()
    # Drop the data engineers' warehouse grant and raise the payments devs to admin in payments.
    start = access.index('resource "azurerm_role_assignment" "data_engineers_warehouse"')
    end = access.index("# Every human principal")
    access = access[:start] + access[end:]
    access = access.replace(
        '/namespaces/payments"\n  role_definition_name = "Azure Kubernetes Service RBAC Writer"',
        '/namespaces/payments"\n  role_definition_name = "Azure Kubernetes Service RBAC Admin"',
    )
    (copy / "access.tf").write_text(access)
    findings, errors = scan(str(copy))
    assert errors == []
    assert {(f.rule, f.cluster, f.object, f.namespace, f.team) for f in findings} == {
        ("FI-TF-002", "prod-weu", "azurerm_role_assignment.payments_devs_payments", "payments", "payments"),
        ("FI-TF-003", "prod-weu", "Grant/group:6f1c2d3e-0000-4000-8000-000000000006", "data-warehouse", "data"),
    }


def test_scan_undeclared_aks_cluster_admin_by_literal_scope(scan, tmp_path):
    write(
        tmp_path,
        "rbac.tf",
        """
        resource "azurerm_role_assignment" "oncall" {
          scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000b/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/dev-weu"
          role_definition_id   = "/providers/Microsoft.Authorization/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
          principal_id         = "11111111-2222-4333-8444-555555555555"
        }
        """,
    )
    findings, _ = scan(str(tmp_path))
    assert keyset(findings) == {
        ("FI-TF-002", "high", "dev-weu", "azurerm_role_assignment.oncall", f"{tmp_path}/rbac.tf", 1)
    }


def test_scan_gke_workload_identity_member_not_in_intent(scan, tmp_path):
    write(
        tmp_path,
        "wi.tf",
        """
        resource "google_service_account_iam_member" "payments_api" {
          service_account_id = "projects/acme-prod/serviceAccounts/payments-api@acme-prod.iam.gserviceaccount.com"
          role               = "roles/iam.workloadIdentityUser"
          member             = "serviceAccount:acme-prod.svc.id.goog[payments/payments-api]"
        }

        resource "google_service_account_iam_binding" "shared" {
          service_account_id = google_service_account.shared.name
          role               = "roles/iam.workloadIdentityUser"
          members = [
            "serviceAccount:acme-prod.svc.id.goog[checkout/checkout-web]",
            "serviceAccount:acme-prod.svc.id.goog[checkout/debug-shell]",
          ]
        }
        """,
    )
    findings, _ = scan(str(tmp_path))
    assert {(f.rule, f.severity.value, f.object, f.namespace) for f in findings} == {
        # Declared pair, but its Google service account is not a literal: not guessed.
        ("FI-TF-002", "info", 'google_service_account_iam_binding.shared["serviceAccount:acme-prod.svc.id.goog[checkout/checkout-web]"]', "checkout"),
        ("FI-TF-002", "high", 'google_service_account_iam_binding.shared["serviceAccount:acme-prod.svc.id.goog[checkout/debug-shell]"]', "checkout"),
    }


def test_scan_access_entry_resources_and_api_mode_aws_auth(scan, tmp_path):
    write(
        tmp_path,
        "access.tf",
        """
        resource "aws_eks_access_entry" "payments_dev" {
          cluster_name  = "stage-use1"
          principal_arn = "arn:aws:iam::111122223333:role/payments-dev"
        }

        resource "aws_eks_access_policy_association" "payments_dev" {
          cluster_name  = "stage-use1"
          principal_arn = aws_eks_access_entry.payments_dev.principal_arn
          policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
          access_scope {
            type       = "namespace"
            namespaces = ["payments"]
          }
        }

        resource "kubernetes_config_map_v1_data" "aws_auth" {
          metadata {
            name      = "aws-auth"
            namespace = "kube-system"
          }
          data = {
            mapRoles = local.map_roles
          }
        }
        """,
    )
    findings, _ = scan(str(tmp_path))
    got = {(f.rule, f.severity.value, f.cluster, f.object) for f in findings}
    assert ("FI-TF-002", "high", "stage-use1", "aws_eks_access_policy_association.payments_dev") in got
    assert ("FI-TF-002", "info", "stage-use1", "kubernetes_config_map_v1_data.aws_auth") in got
    # An unevaluated aws-auth means absent grants prove nothing: no FI-TF-003 is guessed.
    assert not any(rule == "FI-TF-003" for rule, *_ in got)


def test_scan_two_cluster_markers_is_an_error_and_fleet_wide(scan, tmp_path):
    write(tmp_path, "a.tf", '# fleet-intent/cluster: prod-use1\nresource "kubernetes_namespace_v1" "p" {\n  metadata {\n    name = "payments"\n  }\n}\n')
    write(tmp_path, "b.tf", "# fleet-intent/cluster: stage-use1\n")
    findings, errors = scan(str(tmp_path))
    assert len(errors) == 1 and "several clusters (prod-use1, stage-use1)" in errors[0]
    assert {f.cluster for f in findings} == {None}


def test_scan_cluster_label_matches(scan, tmp_path):
    write(
        tmp_path,
        "ns.tf",
        """
        resource "kubernetes_namespace_v1" "data_ingest" {
          metadata {
            name   = "data-ingest"
            labels = { "fleet-intent/cluster" = "legacy-usw2" }
          }
        }
        """,
    )
    findings, _ = scan(str(tmp_path))
    assert {(f.rule, f.cluster, f.object) for f in findings} >= {("FI-TF-001", "legacy-usw2", "kubernetes_namespace_v1.data_ingest")}


def test_scan_skips_dot_terraform(scan, tmp_path):
    write(tmp_path / ".terraform" / "modules" / "x", "main.tf", 'resource "kubernetes_namespace" "p" {\n  metadata {\n    name = "payments"\n  }\n}\n')
    findings, errors = scan(str(tmp_path))
    assert findings == [] and errors == [f"{tmp_path}: no .tf files found"]


def hcl_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("${", "$${").replace("%{", "%%{")
    )


_LITERAL_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from(["\n", "é"]), max_size=40)


@given(_LITERAL_TEXT)
def test_decode_string_round_trips_escaped_literals(text):
    # Hand-written escapes as a user would type them. python-hcl2 cannot lex an unclosed
    # `$${` / `%%{` (a parser limit: such a file is reported as unparseable, not decoded),
    # so those inputs are outside what decode_string ever sees.
    try:
        serialized = hcl2.loads(f'x = "{hcl_escape(text)}"\n')["x"]
    except lark.exceptions.LarkError:
        assume(False)
    assert decode_string(serialized) == text


@given(_LITERAL_TEXT)
def test_decode_string_round_trips_generated_literals(text):
    # What fleet-intent itself writes must always parse and decode back exactly.
    serialized = hcl2.loads(f"x = {hcl_string(text)}\n")["x"]
    assert decode_string(serialized) == text


def test_unclosed_template_escape_is_an_unparseable_file_not_a_crash(scan, tmp_path):
    write(tmp_path, "main.tf", 'locals {\n  x = "%%{"\n}\n')
    findings, errors = scan(str(tmp_path))
    assert findings == [] and len(errors) == 1 and "main.tf" in errors[0]


def test_decode_string_interpolation_is_expr():
    assert decode_string('"${var.a}-b"') == Expr('"${var.a}-b"')
    assert decode_string("${var.team}") == Expr("var.team")
    assert decode_string('"$${literal}"') == "${literal}"


_FRAGMENTS = [
    'resource "kubernetes_namespace_v1" "a" {\n', 'resource "aws_eks_access_entry" "e" {\n',
    'resource "kubernetes_config_map_v1_data" "aws_auth" {\n', 'module "eks" {\n',
    'resource "azurerm_role_assignment" "r" {\n', 'resource "google_service_account_iam_binding" "b" {\n',
    "metadata {\n", "}\n", 'name = "aws-auth"\n', 'name = "payments"\n', "name = var.x\n",
    'source = "terraform-aws-modules/eks/aws"\n', "access_entries = { a = { principal_arn = 1 } }\n",
    'data = { mapRoles = "- rolearn: x\\n  groups: system:masters" }\n', "labels = [1, 2]\n",
    'scope = "/subscriptions/x/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/dev-weu"\n',
    'role_definition_name = "Azure Kubernetes Service RBAC Admin"\n', "principal_id = 7\n",
    'members = "serviceAccount:acme-prod.svc.id.goog[a/b]"\n', 'role = "roles/iam.workloadIdentityUser"\n',
    "kubernetes_groups = \"system:masters\"\n", 'principal_arn = "arn:aws:iam::1:role/x"\n', "# fleet-intent/cluster: prod-use1\n",
]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=14))
def test_scan_never_raises_on_odd_templates(tmp_path_factory, fragments):
    from intent.load import load_intent

    loaded = load_intent(str(FIXTURES / "example.yaml"), NOW)
    directory = tmp_path_factory.mktemp("fuzz")
    (directory / "main.tf").write_text("".join(fragments))
    findings, errors = scan_terraform([str(directory)], plan_fleet(loaded.intent, NOW), loaded.intent)
    assert all(f.rule.startswith("FI-TF-") for f in findings)
    assert all(": cannot parse: " in e or "fleet-intent/cluster" in e for e in errors)


def test_scan_of_generated_output_with_every_team_on_every_cluster_finds_nothing(tmp_path):
    # fleet-intent's own output must pass its own template check, IAM paths included: aws-auth
    # `rolearn` carries no path (ci/checkout-deployer is written as role/checkout-deployer).
    from generate_support import example_data, parse, render

    data = example_data()
    for cluster in data["clusters"]:
        cluster["teams"] = ["*"]
    loaded = parse(data)
    for path, text in render(loaded).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    fleet = plan_fleet(loaded.intent, NOW)
    specs = [f"{plan.name}={tmp_path / 'clusters' / plan.name}" for plan in fleet.clusters]

    findings, errors = scan_terraform(specs, fleet, loaded.intent)

    assert errors == [] and [(f.rule, f.cluster, f.object) for f in findings] == []


def test_scan_node_role_mapping_that_also_grants_system_masters_is_flagged(scan, tmp_path):
    write(
        tmp_path,
        "aws-auth.tf",
        """
        resource "kubernetes_config_map_v1_data" "aws_auth" {
          metadata {
            name      = "aws-auth"
            namespace = "kube-system"
          }
          data = {
            mapRoles = "- rolearn: arn:aws:iam::111122223333:role/legacy-usw2-nodes\\n  username: system:node:{{EC2PrivateDNSName}}\\n  groups:\\n  - system:bootstrappers\\n  - system:nodes\\n  - system:masters\\n"
          }
        }
        """,
    )
    findings, errors = scan(f"legacy-usw2={tmp_path}")
    assert errors == []
    assert [(f.rule, f.severity.value) for f in findings if "legacy-usw2-nodes" in (f.object or "")] == [("FI-TF-002", "high")]


def test_templates_with_windows_line_endings_keep_their_cluster_markers(run, tmp_path):
    import shutil

    lf = tmp_path / "lf"
    shutil.copytree(FIXTURES / "terraform" / "aws-auth-masters", lf)
    crlf = tmp_path / "crlf"
    shutil.copytree(lf, crlf)
    for path in crlf.glob("*.tf"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    reports = []
    for folder in (lf, crlf):
        _, out, _ = run("check", "fixtures/example.yaml", "--terraform", folder, "--format", "json", "--now", "2026-11-26")
        reports.append([(f["rule"], f["cluster"]) for f in json.loads(out)["findings"] if f["rule"].startswith("FI-TF")])
    assert reports[0] == reports[1] and all(cluster == "legacy-usw2" for _, cluster in reports[1])
