"""Access drift: grants (FI-AUTH-001..004), cloud IAM roles and authentication settings
(FI-AUTH-005), compared by meaning (principal, level, scope, namespace), never object name.

Levels are ranked view < edit < admin < cluster-admin and cluster scope covers every
namespace. An observed grant above what the intent declares for that principal there is
broader (FI-AUTH-004 high) or, for an undeclared principal, undeclared (FI-AUTH-003);
cluster-admin over the whole cluster outside `clusterAccess` cluster-admin is FI-AUTH-001.
A declared grant nothing covers is missing (FI-AUTH-002); one covered at a lower level, or
only in some other scope, is narrower (FI-AUTH-004 medium).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import defaultdict
from typing import Any

from intent.check.emit import Emitter
from intent.check.findings import FI_AUTH_001, FI_AUTH_002, FI_AUTH_003, FI_AUTH_004, FI_AUTH_005, Finding, Severity
from intent.observe.observed import (
    AWS_AUTH_NODE_KINDS,
    ObservedGrant,
    ObservedState,
    level_rank,
    principal_key,
    role_arn_without_path,
)
from intent.model import is_upn_user
from intent.plan import Grant
from intent.provider_roles import AKS_CLUSTER_USER_ROLE, AKS_ROLE_NAMES, EKS_ACCESS_POLICIES

GKE_VIEWER = "roles/container.clusterViewer"
# Project roles that include full control of every cluster in the project (SPEC §8).
GKE_ADMIN_ROLES = frozenset({"roles/owner", "roles/editor", "roles/container.admin", "roles/container.clusterAdmin"})


def covers(namespaces, ns: str | None) -> bool:
    """Whether a grant in `namespaces` reaches namespace `ns`.

    EKS access scopes may name namespaces with `*` wildcards (`dev-*` is every namespace that
    starts with `dev-`: https://docs.aws.amazon.com/eks/latest/userguide/access-policies.html).
    Such a pattern covers the namespaces it matches, and is itself broader than any list of
    names: it also reaches namespaces created later.
    """
    return ns in namespaces or (ns is not None and any("*" in p and _wildcard(p).fullmatch(ns) for p in namespaces))


@functools.lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(map(re.escape, pattern.split("*"))))


def _describe(level: str, scope: str, namespaces) -> str:
    level = level.removeprefix("other:")
    return f"{level} on cluster" if scope == "cluster" else f"{level} in {', '.join(namespaces)}"


class _Access:
    """The declared and observed levels of each principal on one cluster."""

    def __init__(self, emit: Emitter, observed: ObservedState):
        self.emit = emit
        self.plan = emit.plan
        self.declared: dict[str, list[Grant]] = defaultdict(list)
        for g in self.plan.grants:
            self.declared[principal_key(g.principal)].append(g)
        self.admins = {k for k, gs in self.declared.items() if any(g.level == "cluster-admin" for g in gs)}
        # Only managed grants of a known level count towards satisfying the intent.
        self.counted: dict[str, list[ObservedGrant]] = defaultdict(list)
        for o in observed.grants:
            if o.managed and level_rank(o.level):
                self.counted[principal_key(o.principal)].append(o)

    def declared_level(self, key: str, ns: str | None) -> int:
        return max(
            (level_rank(g.level) for g in self.declared.get(key, ()) if g.scope == "cluster" or ns in g.namespaces),
            default=0,
        )

    def observed_best(self, key: str, ns: str | None) -> ObservedGrant | None:
        found = [o for o in self.counted.get(key, ()) if o.scope == "cluster" or covers(o.namespaces, ns)]
        return max(found, key=lambda o: level_rank(o.level), default=None)

    def describe_declared(self, key: str) -> str:
        grants = self.declared.get(key, ())
        return "; ".join(_describe(g.level, g.scope, g.namespaces) for g in grants) or "none"

    def describe_observed(self, key: str) -> str:
        grants = self.counted.get(key, ())
        return "; ".join(sorted({_describe(o.level, o.scope, o.namespaces) for o in grants})) or "none"

    def principal_team(self, key: str) -> str | None:
        teams = {g.team for g in self.declared.get(key, ()) if g.team}
        return teams.pop() if len(teams) == 1 else None

    def object_team(self, key: str, namespaces) -> str | None:
        teams = {self.emit.namespace_team(n) for n in namespaces} - {None}
        if len(teams) == 1:
            return teams.pop()
        return self.principal_team(key)


def diff_access(emit: Emitter, observed: ObservedState) -> list[Finding]:
    """FI-AUTH-001..005 for one cluster."""
    access = _Access(emit, observed)
    out = _observed_side(access, observed) + _declared_side(access)
    if emit.plan.provider == "gke":
        out += _gke_roles(access, observed)
    elif emit.plan.provider == "aks":
        out += _aks_roles(access, observed)
    elif emit.plan.cluster.authentication_mode == "CONFIG_MAP":
        out += _eks_nodes(emit, observed)
    return out + diff_settings(emit, observed)


def _observed_side(access: _Access, observed: ObservedState) -> list[Finding]:
    emit = access.emit
    out: list[Finding] = []
    for o in observed.grants:
        key = principal_key(o.principal)
        actual = _describe(o.level, o.scope, o.namespaces) + (f" via {o.via}" if o.via and o.via != o.object else "")
        ns = o.namespaces[0] if len(o.namespaces) == 1 else None
        team = access.object_team(key, o.namespaces)
        expected = access.describe_declared(key)
        whole_cluster = (o.level == "cluster-admin" and o.scope == "cluster") or o.system_masters
        if whole_cluster and key not in access.admins:
            masters = " through aws-auth group system:masters (which no RBAC can revoke)" if o.system_masters else ""
            out.append(emit(FI_AUTH_001, o.object, f"{o.principal} holds cluster-admin{masters} but is not in "
                            f"clusterAccess cluster-admin{_creator_hint(o)}", expected=expected, actual=actual,
                            team=access.principal_team(key)))
        elif not o.managed:
            out.append(emit(FI_AUTH_003, o.object, f"{o.principal} is granted {o.level.removeprefix('other:')} through "
                            f"{o.via}, which fleet-intent does not use to grant access on this "
                            f"{_mode(emit.plan)} cluster", expected=expected, actual=actual, namespace=ns, team=team))
        elif not level_rank(o.level):
            out.append(emit(FI_AUTH_003, o.object, f"{o.principal} holds {o.level.removeprefix('other:')}, a grant "
                            "the intent does not declare", expected=expected, actual=actual, namespace=ns, team=team))
        elif key not in access.declared:
            out.append(emit(FI_AUTH_003, o.object, f"{o.principal} holds {_describe(o.level, o.scope, o.namespaces)} "
                            "but the intent grants it nothing on this cluster", expected="none", actual=actual,
                            namespace=ns, team=team))
        else:
            rank = level_rank(o.level)
            where = [None] if o.scope == "cluster" else list(o.namespaces)
            excess = [n for n in where if rank > access.declared_level(key, n)]
            if excess:
                scope_text = "the whole cluster" if o.scope == "cluster" else ", ".join(excess)
                out.append(emit(FI_AUTH_004, o.object, f"{o.principal} holds {o.level} on {scope_text}, broader than "
                                f"the intended {expected}", expected=expected, actual=actual,
                                namespace=excess[0] if len(excess) == 1 and excess[0] else None, team=team,
                                severity=Severity.HIGH))
    return _merge(out)


def _creator_hint(o: ObservedGrant) -> str:
    """EKS gives the principal that created a cluster an access entry with
    AmazonEKSClusterAdminPolicy unless bootstrapClusterCreatorAdminPermissions was false (botocore
    eks CreateAccessConfigRequest: "The default value is true"); say so, since that entry is the
    usual undeclared cluster-admin on a new API cluster."""
    if o.object.startswith("AccessEntry/") and o.via == EKS_ACCESS_POLICIES["cluster-admin"]:
        return (" (likely the cluster creator's entry that EKS adds when bootstrapClusterCreatorAdminPermissions is "
                "true, the default: delete it, or declare the principal in clusterAccess cluster-admin and terraform "
                "import the entry)")
    return ""


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per (rule, object): an aws-auth mapping or access entry that grants in
    several namespaces is one object to fix."""
    groups: dict[tuple, list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.rule, f.object, f.severity, f.team)].append(f)
    out = []
    for same in groups.values():
        first = same[0]
        if len(same) > 1:
            namespaces = {f.namespace for f in same}
            first = dataclasses.replace(
                first,
                namespace=first.namespace if len(namespaces) == 1 else None,
                actual="; ".join(dict.fromkeys(f.actual or "" for f in same)),
                message="; ".join(dict.fromkeys(f.message for f in same)),
            )
        out.append(first)
    return out


def _mode(plan) -> str:
    cluster = plan.cluster
    return getattr(cluster, "authentication_mode", None) or getattr(cluster, "authorization", plan.provider)


def expected_object(plan, grant: Grant, ns: str | None) -> str:
    """Where a declared grant should live (names the object of a missing-grant finding)."""
    cluster = plan.cluster
    if plan.provider == "eks":
        if cluster.authentication_mode == "CONFIG_MAP":
            # Named as generate writes it: a role without its IAM path, a user with it.
            kind = "mapRoles" if grant.kind == "role" else "mapUsers"
            return f"aws-auth/{kind}/{role_arn_without_path(grant.principal)}"
        return f"AccessEntry/{grant.principal}"
    if plan.provider == "aks" and cluster.authorization == "azure-rbac":
        scope = cluster.resource_id + (f"/namespaces/{ns}" if ns else "")
        return f"RoleAssignment/{scope}/{AKS_ROLE_NAMES[grant.level]}/{grant.principal}"
    return f"RoleBinding/{ns}/{grant.principal}" if ns else f"ClusterRoleBinding/{grant.principal}"


def _declared_side(access: _Access) -> list[Finding]:
    emit, plan = access.emit, access.plan
    out: list[Finding] = []
    # One object per principal on EKS; one per namespace for bindings and role assignments.
    per_namespace = plan.provider != "eks"
    for g in plan.grants:
        key = principal_key(g.principal)
        rank = level_rank(g.level)
        want = _describe(g.level, g.scope, g.namespaces)
        have = access.describe_observed(key)
        where = [None] if g.scope == "cluster" else list(g.namespaces)
        missing, narrower = [], defaultdict(list)
        for n in where:
            best = access.observed_best(key, n)
            if best is None:
                missing.append(n)
            elif level_rank(best.level) < rank:
                narrower[best.object].append(n)
        if g.scope == "cluster" and missing and access.counted.get(key):
            # Holds something, only not over the whole cluster: narrower scope.
            narrower[expected_object(plan, g, None)] += missing
            missing = []
        groups = [[n] for n in missing] if per_namespace else ([missing] if missing else [])
        for names in groups:
            ns = names[0] if len(names) == 1 else None
            out.append(emit(FI_AUTH_002, expected_object(plan, g, ns), f"{g.principal} should hold {g.level} "
                            f"{'on the cluster' if g.scope == 'cluster' else 'in ' + ', '.join(names)} but does not",
                            expected=want, actual=have, namespace=ns, team=g.team))
        for obj, names in narrower.items():
            ns = names[0] if len(names) == 1 else None
            out.append(emit(FI_AUTH_004, obj, f"{g.principal} holds less than the intended {want} "
                            f"({'cluster scope' if names == [None] else ', '.join(n for n in names if n)}): {have}",
                            expected=want, actual=have, namespace=ns, team=g.team, severity=Severity.MEDIUM))
    return out


def _cloud_role_findings(access: _Access, observed: ObservedState, expected_role: str, admin_roles, missing_obj,
                         not_expected: frozenset[str] = frozenset()) -> list[Finding]:
    emit = access.emit
    out: list[Finding] = []
    holders = defaultdict(set)
    for r in observed.cloud_roles:
        key = principal_key(r.principal)
        holders[key].add(r.role)
        team = access.principal_team(key)
        if r.role in admin_roles:
            if key not in access.admins:
                out.append(emit(FI_AUTH_001, r.object, f"{r.principal} holds {r.role}, which includes full control of "
                                "the cluster, but is not in clusterAccess cluster-admin", expected=access.describe_declared(key),
                                actual=r.role, team=team))
        elif r.role == expected_role:
            if key not in access.declared:
                out.append(emit(FI_AUTH_003, r.object, f"{r.principal} holds {r.role} but the intent grants it "
                                "nothing on this cluster", expected="none", actual=r.role))
        elif key not in access.admins:
            out.append(emit(FI_AUTH_003, r.object, f"{r.principal} holds {r.role}, which the intent does not imply",
                            expected=access.describe_declared(key), actual=r.role, team=team))
    for key, grants in access.declared.items():
        principal = grants[0].principal
        if key in not_expected:
            continue
        if expected_role not in holders[key] and not holders[key] & admin_roles:
            team = access.principal_team(key)
            out.append(emit(FI_AUTH_002, missing_obj(principal), f"{principal} lacks {expected_role}, which it needs to "
                            "reach the cluster", expected=expected_role, actual=", ".join(sorted(holders[key])) or "none",
                            team=team))
    return out


def _gke_roles(access: _Access, observed: ObservedState) -> list[Finding]:
    project = access.plan.cluster.project
    return _cloud_role_findings(access, observed, GKE_VIEWER, GKE_ADMIN_ROLES,
                                lambda p: f"ProjectIAM/{project}/{GKE_VIEWER}/{p}")


def _aks_roles(access: _Access, observed: ObservedState) -> list[Finding]:
    cid = access.plan.cluster.resource_id
    # A user declared by UPN alone has no object id to assign the role to (generate skips it).
    by_upn_alone = frozenset(principal_key(g.principal) for g in access.plan.grants if is_upn_user(g.principal) and not g.object_id)
    return _cloud_role_findings(access, observed, AKS_CLUSTER_USER_ROLE, frozenset(),
                                lambda p: f"RoleAssignment/{cid}/{AKS_CLUSTER_USER_ROLE}/{p}", by_upn_alone)


def _eks_nodes(emit: Emitter, observed: ObservedState) -> list[Finding]:
    if observed.aws_auth_present is False:
        # One finding for the ConfigMap rather than one per node role: Terraform's
        # kubernetes_config_map_v1_data only patches an existing ConfigMap and fails without it.
        return [emit(FI_AUTH_002, "ConfigMap/kube-system/aws-auth", f"cluster {emit.plan.name} has no kube-system/aws-auth "
                     "ConfigMap, so no node role or grant is mapped; create it (kubectl apply -f "
                     "manifests/aws-auth.yaml from the cluster's generated root) before terraform apply, which "
                     "cannot create it", expected="present", actual="missing")]
    mapped = {principal_key(arn): kind for arn, kind in observed.node_roles}
    out = []
    for node in emit.plan.cluster.node_roles:
        username, groups = AWS_AUTH_NODE_KINDS[node.kind]
        want = f"groups {', '.join(sorted(groups))}"
        kind = mapped.get(principal_key(node.arn))
        if kind is None:
            out.append(emit(FI_AUTH_002, f"aws-auth/mapRoles/{node.arn}", f"{node.kind} node role {node.arn} is not mapped "
                            f"in aws-auth with {want}: its nodes cannot join", expected="mapped", actual="missing"))
        elif kind != node.kind:
            out.append(emit(FI_AUTH_002, f"aws-auth/mapRoles/{node.arn}", f"node role {node.arn} is mapped in aws-auth as a "
                            f"{kind} node role, but the intent declares it {node.kind}, which needs {want} and username "
                            f"{username}", expected=node.kind, actual=kind))
    return out


def _text(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def expected_settings(plan) -> list[tuple[str, Any]]:
    """The authentication settings the intent implies for a cluster (SPEC §8 FI-AUTH-005)."""
    cluster = plan.cluster
    if plan.provider == "eks":
        return [("authenticationMode", cluster.authentication_mode)]
    if plan.provider == "gke":
        return [("workloadPool", f"{cluster.project}.svc.id.goog"), ("securityGroup", cluster.security_group)]
    wanted = [
        ("aadProfile.managed", True),
        ("enableAzureRbac", cluster.authorization == "azure-rbac"),
        ("disableLocalAccounts", True),
    ]
    if plan.workload_identities:
        wanted += [("oidcIssuerProfile.enabled", True), ("securityProfile.workloadIdentity.enabled", True)]
    return wanted


def diff_settings(emit: Emitter, observed: ObservedState) -> list[Finding]:
    """FI-AUTH-005 for each authentication setting that differs."""
    out = []
    for name, want in expected_settings(emit.plan):
        got = observed.setting(name)
        # enableAzureRbac absent means off; the other booleans must be explicitly true.
        if name == "enableAzureRbac" and got is None:
            got = False
        if isinstance(want, str) and isinstance(got, str) and name == "securityGroup":
            same = want.lower() == got.lower()
        else:
            same = want == got
        if not same:
            out.append(emit(FI_AUTH_005, f"Cluster/{emit.plan.name}/{name}", f"cluster {emit.plan.name} has {name}="
                            f"{_text(got)}; the intent implies {_text(want)}", expected=_text(want), actual=_text(got)))
    return out
