"""`check --terraform`: parse each template directory, match it to a cluster, compare (SPEC §8).

Matching a template directory (each folder holding `.tf` files) to an intent cluster, first
rule that names one wins: `--terraform NAME=DIR`; a `# fleet-intent/cluster: <name>` comment
in a file of the folder; a `fleet-intent/cluster` label (or tag) on a resource; a literal
`cluster_name` (EKS module input, access entries) or `name` (EKS module, cluster resources
and data sources) equal to an intent cluster. A folder whose rule names two clusters, or
that no rule matches, is compared with the levels that hold on every cluster.
"""

from __future__ import annotations

import fnmatch
import os
import re

from intent.errors import UsageError
from intent.check.findings import FI_TF_002, Finding, sort_findings
from intent.model import AksCluster, SecurityIntent
from intent.plan import FleetPlan
from intent.check.terraform.compare import compare_grant, compare_namespaces, make_finding, missing_grants, unevaluated_finding
from intent.check.terraform.expect import Expectations, Target
from intent.check.terraform.extract_cloud import extract_aks, extract_eks, extract_gke, is_eks_module
from intent.check.terraform.extract_k8s import CONFIG_MAP_TYPES, NAMESPACE_TYPES, extract_aws_auth, extract_namespaces
from intent.check.terraform.hclvalues import nested_blocks
from intent.check.terraform.objects import Extracted, Source, TfGrant, TfWorkloadIdentity, Unevaluated
from intent.check.terraform.parse import Block, ModuleDir, discover, parse_module

CLUSTER_LABEL = "fleet-intent/cluster"
_NAME_SPEC = re.compile(r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)=(.+)$")
_CLUSTER_RESOURCES = ("aws_eks_cluster", "google_container_cluster", "azurerm_kubernetes_cluster")
_CLUSTER_NAME_RESOURCES = (
    "aws_eks_access_entry",
    "aws_eks_access_policy_association",
    "aws_eks_pod_identity_association",
    "aws_eks_node_group",
    "aws_eks_addon",
)


def split_spec(spec: str, intent: SecurityIntent) -> tuple[str | None, str]:
    """(cluster name or None, directory) of a `--terraform` value; UsageError for an unknown NAME."""
    match = _NAME_SPEC.match(spec)
    if match and not os.path.exists(spec):
        name, directory = match.group(1), match.group(3)
        known = [c.name for c in intent.clusters]
        if name not in known:
            raise UsageError(f"--terraform {spec}: no cluster {name!r} in the intent (clusters: {', '.join(known)})")
        return name, directory
    return None, spec


def scan_terraform(specs: list[str], fleet: FleetPlan, intent: SecurityIntent) -> tuple[list[Finding], list[str]]:
    """(FI-TF findings sorted, errors) for `--terraform DIR` / `NAME=DIR` specs.

    An unparsable file gives an error "<file>: cannot parse: <cause>" and the rest is still
    scanned; a missing directory or an unknown NAME raises UsageError.
    """
    expectations = Expectations(fleet, intent)
    findings: list[Finding] = []
    errors: list[str] = []
    for spec in specs:
        name, root = split_spec(spec, intent)
        if not os.path.exists(root):
            raise UsageError(f"--terraform {spec}: {root}: no such directory")
        modules = discover(root)
        if not modules:
            errors.append(f"{root}: no .tf files found")
            continue
        for directory, files in modules.items():
            module = parse_module(directory, files, errors)
            cluster = name or match_cluster(module, intent, errors)
            findings.extend(check_module(module, cluster, expectations))
    unique = {(f.rule, f.object, f.expected, f.actual, f.message, f.file, f.line): f for f in findings}
    return sort_findings(unique.values()), errors


def match_cluster(module: ModuleDir, intent: SecurityIntent, errors: list[str]) -> str | None:
    """The intent cluster a template directory is for, by the rules in the module docstring."""
    known = {c.name for c in intent.clusters}
    by_marker: list[str] = []
    for marker in module.markers:
        if marker.cluster in known:
            by_marker.append(marker.cluster)
        else:
            errors.append(f"{marker.file}:{marker.line}: fleet-intent/cluster: no cluster {marker.cluster!r} in the intent")
    rules = (
        ("a fleet-intent/cluster comment", by_marker),
        ("a fleet-intent/cluster label", [n for n in _labelled_clusters(module.blocks) if n in known]),
        ("a literal cluster name", [n for n in _named_clusters(module.blocks) if n in known]),
    )
    for how, names in rules:
        distinct = sorted(set(names))
        if len(distinct) == 1:
            return distinct[0]
        if distinct:
            errors.append(
                f"{module.path}: {how} names several clusters ({', '.join(distinct)}); compared with the fleet-wide "
                f"levels; pass --terraform NAME={module.path} to choose"
            )
            return None
    return None


def _labelled_clusters(blocks: list[Block]) -> list[str]:
    names: list[str] = []
    for block in blocks:
        if block.kind not in ("resource", "data"):
            continue
        maps = [block.body.get("labels"), block.body.get("tags")]
        maps += [m.get("labels") for m in nested_blocks(block.body, "metadata")]
        for labels in maps:
            if isinstance(labels, dict) and isinstance(labels.get(CLUSTER_LABEL), str):
                names.append(labels[CLUSTER_LABEL])
    return names


def _named_clusters(blocks: list[Block]) -> list[str]:
    names: list[str] = []
    for block in blocks:
        body = block.body
        if is_eks_module(block):
            names += [v for v in (body.get("cluster_name"), body.get("name")) if isinstance(v, str)]
        elif block.type in _CLUSTER_NAME_RESOURCES and isinstance(body.get("cluster_name"), str):
            names.append(body["cluster_name"])
        elif block.type in _CLUSTER_RESOURCES and isinstance(body.get("name"), str):
            names.append(body["name"])
    return names


def extract(module: ModuleDir, intent: SecurityIntent) -> Extracted:
    """Everything a template directory would create that the FI-TF rules compare."""
    teams = {t.name: tuple(ns.name for ns in t.namespaces) for t in intent.teams}
    aks_clusters: dict[str, str] = {}
    for cluster in intent.clusters:
        if isinstance(cluster, AksCluster):
            aks_clusters[cluster.name.lower()] = cluster.name
            aks_clusters[f"{cluster.resource_group.lower()}/{cluster.name.lower()}"] = cluster.name
    ext = Extracted()
    for block in module.blocks:
        if block.kind != "resource":
            continue
        if block.type in NAMESPACE_TYPES:
            extract_namespaces(block, ext)
        elif block.type in CONFIG_MAP_TYPES:
            extract_aws_auth(block, ext, teams)
    extract_eks(module.blocks, ext, teams)
    extract_gke(module.blocks, ext)
    extract_aks(module.blocks, ext, aks_clusters)
    return ext


def check_module(module: ModuleDir, cluster: str | None, expectations: Expectations) -> list[Finding]:
    """FI-TF findings for one template directory compared with `cluster` (None: fleet-wide)."""
    ext = extract(module, expectations.intent)
    findings = compare_namespaces(ext, expectations.target(cluster, None))
    for item in ext.unevaluated:
        findings.append(unevaluated_finding(item, expectations.target(cluster, item.provider)))
    for provider in ("eks", "gke", "aks"):
        grants = [g for g in ext.grants if g.provider == provider]
        default = expectations.target(cluster, provider)
        by_target: dict[str | None, list[TfGrant]] = {}
        for grant in grants:
            by_target.setdefault(grant.cluster or default.cluster, []).append(grant)
        for name, group in by_target.items():
            target = expectations.target(name, provider) if name else default
            # Missing grants only for the folder's own cluster: one literal scope elsewhere is not a claim
            # that this template manages all of that cluster's access.
            findings.extend(_check_grants(group, target, ext, provider, missing=name == cluster))
        if not grants and default.matched and provider in ext.grant_providers and provider not in ext.incomplete:
            where = _grant_anchor(module, provider)
            if where is not None and _grants_expected_via_template(default, provider):
                findings.extend(missing_grants([], default, provider, where))
    findings.extend(_check_identities(ext.identities, expectations, cluster))
    return findings


def _grant_anchor(module: ModuleDir, provider: str) -> Source | None:
    prefixes = {"eks": ("aws_eks_access", "kubernetes_config_map"), "aks": ("azurerm_role_assignment",), "gke": ()}[provider]
    for block in module.blocks:
        if block.type.startswith(prefixes) or (provider == "eks" and is_eks_module(block)):
            return Source(block.address, block.file, block.line)
    return None


def _grants_expected_via_template(target: Target, provider: str) -> bool:
    """Whether the cluster's intended grants are made by the resource kinds this check reads."""
    cluster = target.plan.cluster
    if provider == "aks":
        return getattr(cluster, "authorization", None) == "azure-rbac"
    return provider == "eks"  # GKE grants are RBAC bindings, which FI-TF does not read


def _check_grants(grants: list[TfGrant], target: Target, ext: Extracted, provider: str, missing: bool) -> list[Finding]:
    findings: list[Finding] = []
    counted: list[TfGrant] = []  # grants that give access on this cluster, for the missing-grant check
    mode = getattr(target.plan.cluster, "authentication_mode", None) if target.matched else None
    for grant in grants:
        if provider == "eks" and grant.mechanism == "aws-auth" and mode in ("API", "API_AND_CONFIG_MAP"):
            findings.append(_aws_auth_on_api_cluster(grant, target, mode))
            continue
        finding = compare_grant(grant, target)
        if finding is not None:
            findings.append(finding)
        if not (mode == "CONFIG_MAP" and grant.mechanism != "aws-auth"):
            counted.append(grant)  # a CONFIG_MAP cluster reads aws-auth only
    if (
        missing
        and target.matched
        and provider in ext.grant_providers
        and provider not in ext.incomplete
        and _grants_expected_via_template(target, provider)
    ):
        first = (counted or grants)[0].source
        findings.extend(missing_grants(counted, target, provider, Source(first.address, first.file, first.line)))
    return findings


def _aws_auth_on_api_cluster(grant: TfGrant, target: Target, mode: str) -> Finding:
    return make_finding(
        FI_TF_002,
        target,
        "eks",
        None,
        grant.source,
        "no aws-auth mappings beyond node roles",
        f"{grant.principal}: {grant.via}",
        f"{grant.source.object} maps {grant.principal} ({grant.via}) in aws-auth, but {target.cluster} uses "
        f"authenticationMode "
        f"{mode}: fleet-intent grants access there through access entries only, so any other aws-auth mapping is drift",
        None,
    )


def _check_identities(identities: list[TfWorkloadIdentity], expectations: Expectations, cluster: str | None) -> list[Finding]:
    """FI-TF-002 for Workload Identity members the intent does not declare (or bound to another GSA)."""
    findings: list[Finding] = []
    target = expectations.target(cluster, "gke")
    plan = target.plan
    projects = {plan.cluster.project} if target.matched else expectations.gke_projects()
    teams = {ns.name: ns.team for ns in plan.namespaces}
    for wi in identities:
        if wi.project not in projects or any(fnmatch.fnmatchcase(wi.namespace, p) for p in plan.ignore_namespaces):
            continue
        declared = [w for w in plan.workload_identities if (w.namespace, w.service_account) == (wi.namespace, wi.service_account)]
        member = f"{wi.project}.svc.id.goog[{wi.namespace}/{wi.service_account}]"
        team = teams.get(wi.namespace)
        if declared and wi.gsa is None and wi.gsa_expr:
            item = Unevaluated(wi.gsa_expr, "service_account_id", FI_TF_002, wi.source, "gke", wi.namespace)
            findings.append(unevaluated_finding(item, target))
            continue
        if declared and (wi.gsa is None or wi.gsa in {w.identity.lower() for w in declared}):
            continue
        expected = ", ".join(w.identity for w in declared) or "no Workload Identity binding"
        message = (
            f"{wi.source.object} lets Kubernetes service account {wi.namespace}/{wi.service_account} act as "
            f"{wi.gsa or 'a Google service account'}, which the intent does not declare"
        )
        findings.append(
            make_finding(FI_TF_002, target, "gke", wi.namespace, wi.source, expected, f"{member} -> {wi.gsa or wi.gsa_expr}", message, team)
        )
    return findings
