"""A deterministic synthetic fleet: N clusters across every provider and auth mode, T teams,
M namespaces. `synthetic_intent(...)` returns the intent as YAML text; the same arguments
always give the same bytes.

    python -m benchmarks.synthetic --clusters 1000 --teams 100 --namespaces 500 > fleet.yaml
"""

from __future__ import annotations

import argparse
import sys

import yaml

ACCOUNT = "111122223333"
SUBSCRIPTION = "0b0c0d0e-0000-4000-8000-00000000000a"
# Every provider and authentication/authorization mode, in turn.
VARIANTS = (
    ("eks", "API"),
    ("eks", "API_AND_CONFIG_MAP"),
    ("eks", "CONFIG_MAP"),
    ("gke", None),
    ("aks", "azure-rbac"),
    ("aks", "kubernetes-rbac"),
)


def _guid(kind: int, n: int) -> str:
    return f"6f1c2d3e-{kind:04x}-4000-8000-{n:012x}"


def _team(t: int, namespaces: list[str]) -> dict:
    name = f"team-{t:03d}"
    team: dict = {
        "name": name,
        "owners": [f"{name}-oncall@acme.example"],
        "namespaces": [],
        "access": [
            {
                "level": "edit",
                "aws": [f"arn:aws:iam::{ACCOUNT}:role/{name}-dev", f"arn:aws:iam::{ACCOUNT}:role/ci/{name}-deployer"],
                "gcp": [f"group:{name}-devs@acme.example", f"serviceAccount:{name}-ci@acme-prod.iam.gserviceaccount.com"],
                "azure": [f"group:{_guid(1, t)}", f"servicePrincipal:{_guid(2, t)}"],
            },
            {
                "level": "view",
                "aws": [f"arn:aws:iam::{ACCOUNT}:user/{name}-auditor"],
                "gcp": [f"user:{name}-auditor@acme.example"],
                # A member user reaches kubernetes-rbac AKS clusters by UPN and azure-rbac ones by
                # object id: the paired form works on both (docs/intent.md, "Azure users").
                "azure": [{"upn": f"{name}-auditor@acme.example", "objectId": _guid(3, t)}],
            },
            {
                "level": "admin",
                "aws": [f"arn:aws:iam::{ACCOUNT}:role/{name}-lead"],
                "gcp": [f"group:{name}-leads@acme.example"],
                "azure": [f"group:{_guid(4, t)}"],
            },
        ],
        "workloadIdentities": [],
    }
    for i, ns in enumerate(namespaces):
        entry: dict = {"name": ns}
        if i % 3 == 1:
            entry["podSecurity"] = {"enforce": "restricted"}
        if i % 2 == 0:
            entry["labels"] = {"cost-centre": str(100 + t)}
            entry["annotations"] = {"acme.example/owner": f"{name} (ns {i})"}
        team["namespaces"].append(entry)
    if namespaces:
        team["workloadIdentities"].append(
            {
                "namespace": namespaces[0],
                "serviceAccount": f"{name}-api",
                "aws": f"arn:aws:iam::{ACCOUNT}:role/{name}-api",
                "gcp": f"{name}-api@acme-prod.iam.gserviceaccount.com",
                "azure": {
                    "clientId": _guid(5, t),
                    "identityId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-identities/providers/"
                    f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}-api",
                },
            }
        )
    else:
        del team["access"]
    return team


def _cluster(c: int, teams: list[str]) -> dict:
    provider, mode = VARIANTS[c % len(VARIANTS)]
    name = f"{provider}-{c:04d}"
    cluster: dict = {"name": name, "provider": provider}
    if provider == "eks":
        cluster.update(accountId=ACCOUNT, region=("us-east-1", "eu-west-1", "ap-southeast-2")[c % 3], authenticationMode=mode)
        if mode == "CONFIG_MAP":
            cluster["nodeRoleArns"] = [f"arn:aws:iam::{ACCOUNT}:role/{name}-nodes"]
    elif provider == "gke":
        cluster.update(project="acme-prod", location="europe-west1", securityGroup="gke-security-groups@acme.example")
    else:
        cluster.update(subscriptionId=SUBSCRIPTION, resourceGroup=f"rg-{c % 10}", authorization=mode)
    cluster["teams"] = teams
    cluster["labels"] = {"env": ("prod", "staging", "dev")[c % 3]}
    return cluster


def synthetic_fleet(clusters: int = 1000, teams: int = 100, namespaces: int = 500, teams_per_cluster: int = 10) -> dict:
    """The synthetic intent as data: namespace n belongs to team n % teams; cluster c hosts
    `teams_per_cluster` consecutive teams starting at (7 * c) % teams; clusters cycle through
    every provider and authentication mode."""
    owned: dict[int, list[str]] = {t: [] for t in range(teams)}
    for n in range(namespaces):
        owned[n % teams].append(f"ns-{n:04d}")
    team_docs = [_team(t, owned[t]) for t in range(teams)]
    cluster_docs = []
    for c in range(clusters):
        hosted = sorted({(7 * c + k) % teams for k in range(min(teams_per_cluster, teams))})
        cluster_docs.append(_cluster(c, [f"team-{t:03d}" for t in hosted]))
    exceptions = [
        {
            "id": f"EXC-{n:04d}",
            "namespace": f"ns-{n:04d}",
            "podSecurity": {"enforce": "privileged"},
            "reason": "synthetic: node agent",
            "owner": "platform-security@acme.example",
            "expires": "2099-12-31",
        }
        for n in range(0, namespaces, max(1, namespaces // 10))
    ]
    return {
        "apiVersion": "fleet-intent/v1",
        "kind": "SecurityIntent",
        "metadata": {"organisation": "acme", "owner": "platform-security@acme.example"},
        "podSecurity": {"enforce": "baseline", "audit": "restricted", "warn": "restricted", "version": "latest"},
        "clusterAccess": [
            {
                "level": "cluster-admin",
                "aws": [f"arn:aws:iam::{ACCOUNT}:role/platform-admin"],
                "gcp": ["group:platform-admins@acme.example"],
                "azure": [f"group:{_guid(9, 1)}"],
            },
            {
                "level": "view",
                "aws": [f"arn:aws:iam::{ACCOUNT}:role/security-audit"],
                "gcp": ["group:security-auditors@acme.example"],
                "azure": [f"group:{_guid(9, 2)}"],
            },
        ],
        "teams": team_docs,
        "clusters": cluster_docs,
        "exceptions": exceptions,
    }


def synthetic_intent(clusters: int = 1000, teams: int = 100, namespaces: int = 500, teams_per_cluster: int = 10) -> str:
    """The synthetic intent as YAML text (deterministic)."""
    data = synthetic_fleet(clusters, teams, namespaces, teams_per_cluster)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=1 << 16)


def main(argv: list[str] | None = None) -> None:
    """Print a synthetic intent to stdout."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--namespaces", type=int, default=500)
    parser.add_argument("--teams-per-cluster", type=int, default=10)
    args = parser.parse_args(argv)
    sys.stdout.write(synthetic_intent(args.clusters, args.teams, args.namespaces, args.teams_per_cluster))


if __name__ == "__main__":
    main()
