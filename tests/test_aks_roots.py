"""What an AKS root's user must know before applying it (SPEC §11).

- D9: `data "azurerm_kubernetes_cluster"` also stores `kube_admin_config_raw` in the state when
  Entra ID is on and local accounts are not disabled (terraform-provider-azurerm
  internal/services/containers/kubernetes_cluster_data_source.go:911-921): the generated file
  and docs/generate.md say so, with the remedy.
- D10: Entra rejects concurrent federated credential writes on one identity with 409 and azurerm
  locks only within one process (federated_identity_credential_resource.go `locks.ByID`;
  MicrosoftDocs/entra-docs workload-identity-federation-considerations.md "Concurrent updates
  aren't supported"), so `generate` warns when several roots federate one identity.
"""

from __future__ import annotations

from conftest import EXAMPLE, ROOT, invoke_cli
from generate_support import example_data, parse, render

INGEST_WORKER = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ingest-worker"


def _comment_before_data_source(text: str) -> str:
    head = text.split('data "azurerm_kubernetes_cluster" "this"', 1)[0]
    return " ".join(line.lstrip("# ") for line in head.splitlines() if line.startswith("#"))


def test_the_aks_root_warns_that_its_state_can_hold_the_admin_kubeconfig():
    files = render(parse(example_data()))
    for cluster in ("prod-weu", "dev-weu"):
        comment = _comment_before_data_source(files[f"clusters/{cluster}/providers.tf"])
        assert "kube_admin_config_raw" in comment and "state" in comment
        assert "local accounts" in comment and "FI-AUTH-005" in comment and "encrypted" in comment


def test_the_generate_docs_say_it_where_the_aks_root_is_applied():
    text = (ROOT / "docs/generate.md").read_text(encoding="utf-8")
    section = text.split("### AKS roots", 1)[1].split("\n## ", 1)[0]
    for needed in ("kube_admin_config_raw", "disable_local_accounts", "FI-AUTH-005", "encrypted",
                   "one at a time", "409"):
        assert needed in section, needed


def test_generate_warns_about_roots_that_federate_one_identity(capsys, tmp_path):
    code, _, err = invoke_cli(capsys, "generate", str(EXAMPLE), "-o", str(tmp_path / "out"), "--now", "2026-11-26")
    assert code == 0
    [line] = [text for text in err.splitlines() if text.startswith("warning: managed identity")]
    assert INGEST_WORKER in line and "prod-weu, dev-weu" in line and "409" in line
    assert "payments-api" not in err  # federated by prod-weu only


def test_no_warning_when_each_identity_has_one_root(capsys, tmp_path):
    code, _, err = invoke_cli(capsys, "generate", str(EXAMPLE), "-o", str(tmp_path / "out"), "--cluster", "prod-weu",
                              "--now", "2026-11-26")
    assert code == 0 and "warning: managed identity" not in err
