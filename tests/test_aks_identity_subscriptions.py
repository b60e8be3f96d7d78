"""Federated identity credentials of an identity in another subscription than the cluster's.

azurerm creates an `azurerm_federated_identity_credential` under the *provider's*
subscription, taking only the resource group and identity name from
`user_assigned_identity_id` (hashicorp/terraform-provider-azurerm
internal/services/managedidentity/federated_identity_credential_resource.go:104-112). So a
credential for an identity in another subscription must go through an `azurerm` provider
configured for that subscription (SPEC §11).
"""

from __future__ import annotations

import re

from generate_support import example_data, parse, parse_tf, render, strings

CLUSTER_SUB = "0b0c0d0e-0000-4000-8000-00000000000b"  # dev-weu
IDENTITY_SUB = "0b0c0d0e-0000-4000-8000-00000000000a"  # rg-identities, where the example's identities live
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _providers(files: dict[str, str], cluster: str) -> list[dict]:
    parsed = strings(parse_tf(files[f"clusters/{cluster}/providers.tf"]))
    return [block["azurerm"] for block in parsed["provider"] if "azurerm" in block]


def _credentials(files: dict[str, str], cluster: str) -> dict[str, dict]:
    parsed = strings(parse_tf(files[f"clusters/{cluster}/workload-identity.tf"]))
    return {
        name: body
        for block in parsed.get("resource", [])
        for name, body in block.get("azurerm_federated_identity_credential", {}).items()
    }


def _subscription_of(identity_id: str) -> str:
    return identity_id.split("/")[2].lower()


def _provider_subscriptions(files: dict[str, str], cluster: str) -> dict[str | None, str]:
    """alias (None for the default provider) -> subscription id."""
    out = {}
    for body in _providers(files, cluster):
        alias = body.get("alias")
        assert alias not in out, f"two azurerm providers with alias {alias!r}"
        out[alias] = body["subscription_id"]
    return out


def _credential_subscription(body: dict, providers: dict[str | None, str]) -> str:
    """The subscription Terraform creates this credential in: its provider's."""
    ref = body.get("provider")
    if ref is None:
        return providers[None]
    match = re.fullmatch(r"\$\{azurerm\.([A-Za-z_][A-Za-z0-9_-]*)\}", ref)
    assert match, ref
    return providers[match[1]]


def test_the_example_dev_weu_federates_its_identities_through_their_own_subscription():
    files = render(parse(example_data()))
    providers = _provider_subscriptions(files, "dev-weu")
    assert providers[None] == CLUSTER_SUB
    credentials = _credentials(files, "dev-weu")
    assert credentials, "dev-weu federates ingest-worker"
    for body in credentials.values():
        identity = body["user_assigned_identity_id"]
        assert _credential_subscription(body, providers) == _subscription_of(identity) == IDENTITY_SUB


def test_a_cluster_whose_identities_share_its_subscription_gets_no_extra_provider():
    files = render(parse(example_data()))
    providers = _provider_subscriptions(files, "prod-weu")  # cluster and identities in ...0a
    assert providers == {None: IDENTITY_SUB}
    assert all("provider" not in body for body in _credentials(files, "prod-weu").values())


def test_each_identity_subscription_gets_one_valid_distinct_alias():
    data = example_data()
    identities = {
        "payments": "/subscriptions/0B0C0D0E-0000-4000-8000-0000000000C1/resourceGroups/rg-x/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments-api",
        "data": "/subscriptions/0b0c0d0e-0000-4000-8000-0000000000c2/resourceGroups/rg-y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ingest-worker",
    }
    for team in data["teams"]:
        for wi in team.get("workloadIdentities", []):
            if team["name"] in identities and "azure" in wi:
                wi["azure"]["identityId"] = identities[team["name"]]
    data["clusters"][-1]["teams"] = ["*"]  # dev-weu federates both
    files = render(parse(data))
    providers = _provider_subscriptions(files, "dev-weu")
    aliases = [a for a in providers if a is not None]
    assert len(aliases) == 2 and all(IDENT.fullmatch(a) for a in aliases)
    assert sorted(providers[a] for a in aliases) == ["0b0c0d0e-0000-4000-8000-0000000000c1", "0b0c0d0e-0000-4000-8000-0000000000c2"]
    for body in _credentials(files, "dev-weu").values():
        identity = body["user_assigned_identity_id"]
        assert _credential_subscription(body, providers) == _subscription_of(identity)
    # Deterministic: the same intent renders the same aliases.
    assert render(parse(data))["clusters/dev-weu/providers.tf"] == files["clusters/dev-weu/providers.tf"]
