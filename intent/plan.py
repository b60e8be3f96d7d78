"""The planner: a validated intent and a `now` in, the provider-neutral desired state of each
cluster out.

The plan is what translators render and what the check mode compares live state against, so it
is small, immutable (frozen dataclasses of tuples) and dumps to JSON (`to_dict`). It carries the
cluster's own settings (the frozen pydantic cluster model) so that translators never need the
raw intent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from intent.model import (
    PSA_MODES,
    AksCluster,
    AzureUser,
    Cluster,
    EksCluster,
    GkeCluster,
    Level,
    SecurityIntent,
    Team,
    azure_principal_on,
    is_upn_user,
)

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "fleet-intent"
TEAM_LABEL = "fleet-intent/team"
PSA_PREFIX = "pod-security.kubernetes.io/"
# The annotation that carries a cluster's plan revision on every namespace it manages (a
# prefixed key: DNS-subdomain prefix, `/`, a name of at most 63 characters; kubernetes.io
# docs/concepts/overview/working-with-objects/annotations, "Syntax and character set").
REVISION_ANNOTATION = "fleet-intent/revision"
REVISION_PREFIX = "sha256:"
REVISION_HEX = 16  # 64 bits: ample to tell one cluster's revisions apart, short enough to read

# Namespaces never flagged unless the intent sets `ignoreNamespaces` itself.
DEFAULT_IGNORED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
# Namespaces each provider creates and manages on its own clusters.
PROVIDER_MANAGED_NAMESPACES = {
    "eks": ("amazon-cloudwatch", "amazon-guardduty", "aws-observability"),
    "gke": ("gke-*", "gmp-public", "gmp-system", "config-management-*", "istio-system"),
    "aks": (
        "aks-command",
        "aks-istio-*",
        "app-routing-system",
        "calico-system",
        "gatekeeper-system",
        "tigera-operator",
    ),
}


@dataclass(frozen=True, slots=True)
class PodSecurity:
    """The effective PSA levels and version of one namespace on one cluster."""

    enforce: Level
    audit: Level
    warn: Level
    version: str

    def level(self, mode: str) -> Level:
        return getattr(self, mode)

    def labels(self) -> dict[str, str]:
        """The six `pod-security.kubernetes.io/*` labels."""
        out: dict[str, str] = {}
        for mode in PSA_MODES:
            out[f"{PSA_PREFIX}{mode}"] = self.level(mode).value
            out[f"{PSA_PREFIX}{mode}-version"] = self.version
        return out


@dataclass(frozen=True, slots=True)
class NamespacePlan:
    """One managed namespace: its owner team, effective PSA and complete label set."""

    name: str
    team: str
    pod_security: PodSecurity
    labels: tuple[tuple[str, str], ...]  # sorted; PSA, managed-by and team labels included
    annotations: tuple[tuple[str, str], ...]  # sorted
    exceptions: tuple[str, ...] = ()  # ids of the exceptions that changed a level here


@dataclass(frozen=True, slots=True)
class Grant:
    """One principal's access on one cluster.

    `principal` is spelled as in the intent: an IAM ARN for AWS, `group:<email>` etc. for GCP,
    `group:<object id>` etc. for Azure. `namespaces` is empty for cluster scope.
    """

    principal: str
    level: str  # view | edit | admin | cluster-admin
    scope: str  # namespace | cluster
    namespaces: tuple[str, ...]
    team: str | None  # None for clusterAccess grants
    # AKS kubernetes-rbac: the Entra object id of a user granted by UPN ({upn, objectId} in
    # the intent), which the user's Cluster User Role assignment names.
    object_id: str | None = None

    @property
    def kind(self) -> str:
        """role | user for AWS; group | user | serviceAccount | servicePrincipal otherwise."""
        if self.principal.startswith("arn:"):
            return "role" if ":role/" in self.principal else "user"
        return self.principal.split(":", 1)[0]

    @property
    def subject(self) -> str:
        """The principal without its kind prefix (ARN, e-mail or object id)."""
        if self.principal.startswith("arn:"):
            return self.principal
        return self.principal.split(":", 1)[1]


@dataclass(frozen=True, slots=True)
class WorkloadIdentityPlan:
    """A Kubernetes service account bound to a cloud identity on one cluster.

    `identity` is the IAM role ARN (EKS), the Google service account e-mail (GKE) or the
    managed identity's client id (AKS); `identity_resource` is the AKS identity's resource id.
    """

    namespace: str
    service_account: str
    team: str
    identity: str
    identity_resource: str | None = None


@dataclass(frozen=True, slots=True)
class ExceptionRef:
    """An exception as it touches one cluster."""

    id: str
    namespace: str
    owner: str
    expires: dt.date
    levels: tuple[tuple[str, str], ...]  # (mode, level) pairs it names


@dataclass(frozen=True, slots=True)
class ClusterPlan:
    """The provider-neutral desired state of one cluster."""

    cluster: Cluster
    namespaces: tuple[NamespacePlan, ...]
    grants: tuple[Grant, ...]
    workload_identities: tuple[WorkloadIdentityPlan, ...]
    exceptions_applied: tuple[ExceptionRef, ...]
    exceptions_expired: tuple[ExceptionRef, ...]
    ignore_namespaces: tuple[str, ...]
    baseline: PodSecurity
    owner: str | None  # metadata.owner: owner of cluster-wide findings
    team_owners: tuple[tuple[str, str], ...] = field(default=())  # (team, first owner)
    admission_mode: str | None = None  # deny | warn | audit with an `admission:` block (SPEC §13)

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def provider(self) -> str:
        return self.cluster.provider

    def namespace(self, name: str) -> NamespacePlan | None:
        for ns in self.namespaces:
            if ns.name == name:
                return ns
        return None

    def owner_of(self, team: str | None) -> str | None:
        """The owner findings about `team`'s objects route to (org owner when None)."""
        if team is None:
            return self.owner
        return dict(self.team_owners).get(team, self.owner)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dump (cluster settings in intent spelling)."""
        return {
            "cluster": self.cluster.model_dump(mode="json", by_alias=True, exclude_none=True),
            "baseline": _plain(self.baseline),
            "ignoreNamespaces": list(self.ignore_namespaces),
            "owner": self.owner,
            "namespaces": [_plain(ns) for ns in self.namespaces],
            "grants": [_grant_dict(g) for g in self.grants],
            "workloadIdentities": [_plain(w) for w in self.workload_identities],
            "exceptionsApplied": [_plain(e) for e in self.exceptions_applied],
            "exceptionsExpired": [_plain(e) for e in self.exceptions_expired],
            **({"admission": {"mode": self.admission_mode}} if self.admission_mode else {}),
        }


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """Every cluster's plan, in intent order, plus what the planner noticed."""

    clusters: tuple[ClusterPlan, ...]
    organisation: str
    owner: str | None
    now: dt.datetime

    def cluster(self, name: str) -> ClusterPlan | None:
        for plan in self.clusters:
            if plan.name == name:
                return plan
        return None


_PAIR_FIELDS = {"labels", "annotations", "levels", "team_owners"}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {
            _camel(f.name): (
                {k: _plain(v) for k, v in getattr(value, f.name)}
                if f.name in _PAIR_FIELDS
                else _plain(getattr(value, f.name))
            )
            for f in dataclasses.fields(value)
        }
    if isinstance(value, Level):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _grant_dict(grant: Grant) -> dict[str, Any]:
    out = _plain(grant)
    if out["objectId"] is None:
        del out["objectId"]  # only AKS users named by UPN have one
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def plan_revision(plan: ClusterPlan) -> str:
    """The revision of one cluster's plan: `sha256:` and the first 16 hex digits of the SHA-256
    of the plan's canonical JSON.

    Canonical: what `to_dict()` holds (the effective plan alone: no time, no path, nothing of
    the run; an exception that starts or stops applying on a date changes it, as it changes the
    plan) with keys sorted, no whitespace, ASCII only, and every list sorted, because every list
    in a plan is a set (namespaces, grants, principals, patterns): moving a team or a grant
    within the intent file changes no revision. Team owners stay out (they route findings,
    nothing on the cluster), so a change to one team changes only the revisions of the clusters
    hosting it. Each namespace, grant, identity and exception is made canonical once and cached:
    the same ones recur on many clusters, and the revision is asked for every cluster.
    """
    document = {
        "cluster": _canonical(plan.cluster.model_dump(mode="json", by_alias=True, exclude_none=True)),
        "baseline": _canonical(_plain(plan.baseline)),
        "ignoreNamespaces": sorted(plan.ignore_namespaces),
        "owner": plan.owner,
    }
    if plan.admission_mode:
        # Only with an `admission:` block, so that a plan without one keeps its revision.
        document["admission"] = {"mode": plan.admission_mode}
    text = _canonical_text(document)[:-1]  # the items' texts follow, inside the same object
    for key, items in (
        ("namespaces", plan.namespaces),
        ("grants", plan.grants),
        ("workloadIdentities", plan.workload_identities),
        ("exceptionsApplied", plan.exceptions_applied),
        ("exceptionsExpired", plan.exceptions_expired),
    ):
        text += f',"{key}":[' + ",".join(sorted(_item_text(item) for item in items)) + "]"
    text += "}"
    return REVISION_PREFIX + hashlib.sha256(text.encode("ascii")).hexdigest()[:REVISION_HEX]


@functools.lru_cache(maxsize=1 << 16)
def _item_text(item: Any) -> str:
    """The canonical JSON of one frozen plan item (a namespace, grant, identity, exception)."""
    return _canonical_text(_canonical(_grant_dict(item) if isinstance(item, Grant) else _plain(item)))


def _canonical_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def is_revision(value: str) -> bool:
    """Whether `value` has the form `plan_revision` returns."""
    digits = value[len(REVISION_PREFIX):]
    return (
        value.startswith(REVISION_PREFIX)
        and len(digits) == REVISION_HEX
        and all(c in "0123456789abcdef" for c in digits)
    )


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=_canonical_text)
    return value


def effective_baseline(intent: SecurityIntent) -> PodSecurity:
    """The org baseline with audit/warn defaulted to enforce."""
    base = intent.pod_security
    return PodSecurity(
        enforce=base.enforce,
        audit=base.audit or base.enforce,
        warn=base.warn or base.enforce,
        version=base.version,
    )


def ignore_patterns(intent: SecurityIntent, provider: str) -> tuple[str, ...]:
    """The namespaces never flagged on a cluster of `provider`."""
    if intent.ignore_namespaces is not None:
        return tuple(intent.ignore_namespaces)
    return DEFAULT_IGNORED_NAMESPACES + PROVIDER_MANAGED_NAMESPACES[provider]


def cluster_teams(intent: SecurityIntent, cluster: Cluster) -> list[Team]:
    """The teams a cluster hosts, in intent order."""
    if "*" in cluster.teams:
        return list(intent.teams)
    wanted = set(cluster.teams)
    return [team for team in intent.teams if team.name in wanted]


def plan_fleet(intent: SecurityIntent, now: dt.datetime, clusters: list[str] | None = None) -> FleetPlan:
    """Plan every cluster (or only those named in `clusters`)."""
    selected = [c for c in intent.clusters if clusters is None or c.name in clusters]
    cache: dict = {}
    return FleetPlan(
        clusters=tuple(plan_cluster(intent, c, now, cache) for c in selected),
        organisation=intent.metadata.organisation,
        owner=intent.metadata.owner,
        now=now,
    )


def plan_cluster(
    intent: SecurityIntent, cluster: Cluster, now: dt.datetime, cache: dict | None = None
) -> ClusterPlan:
    """The desired state of one cluster at time `now` (which decides exception expiry).

    `cache` lets a fleet share identical namespace plans (same namespace, same exceptions)
    between clusters; plans are immutable, so sharing is safe.
    """
    baseline = effective_baseline(intent)
    teams = cluster_teams(intent, cluster)
    provider = cluster.provider

    applied: list[ExceptionRef] = []
    expired: list[ExceptionRef] = []
    by_namespace: dict[str, list] = {}
    hosted = {ns.name for team in teams for ns in team.namespaces}
    for exc in intent.exceptions:
        if exc.namespace not in hosted:
            continue
        if exc.clusters is not None and cluster.name not in exc.clusters:
            continue
        ref = ExceptionRef(
            id=exc.id,
            namespace=exc.namespace,
            owner=exc.owner,
            expires=exc.expires,
            levels=tuple(
                (mode, getattr(exc.pod_security, mode).value)
                for mode in PSA_MODES
                if getattr(exc.pod_security, mode) is not None
            ),
        )
        if exc.expired(now):
            expired.append(ref)
        else:
            applied.append(ref)
            by_namespace.setdefault(exc.namespace, []).append(exc)

    namespaces: list[NamespacePlan] = []
    for team in teams:
        for ns in team.namespaces:
            excs = tuple(by_namespace.get(ns.name, ()))
            key = (ns.name, tuple(exc.id for exc in excs))
            cached = cache.get(key) if cache is not None else None
            if cached is None:
                cached = _namespace_plan(team.name, ns, baseline, excs)
                if cache is not None:
                    cache[key] = cached
            namespaces.append(cached)

    grants: list[Grant] = []
    for access in intent.cluster_access:
        for principal, object_id in _principals(access, cluster):
            grants.append(Grant(principal, access.level, "cluster", (), None, object_id))
    for team in teams:
        team_namespaces = tuple(ns.name for ns in team.namespaces)
        if not team_namespaces:
            continue
        for access in team.access:
            for principal, object_id in _principals(access, cluster):
                grants.append(Grant(principal, access.level, "namespace", team_namespaces, team.name, object_id))

    identities: list[WorkloadIdentityPlan] = []
    for team in teams:
        for wi in team.workload_identities:
            plan = _workload_identity(cluster, team.name, wi)
            if plan is not None:
                identities.append(plan)

    return ClusterPlan(
        cluster=cluster,
        namespaces=tuple(namespaces),
        grants=tuple(grants),
        workload_identities=tuple(identities),
        exceptions_applied=tuple(applied),
        exceptions_expired=tuple(expired),
        ignore_namespaces=ignore_patterns(intent, provider),
        baseline=baseline,
        owner=intent.metadata.owner,
        team_owners=_team_owners(intent, cache),
        admission_mode=intent.admission.mode if intent.admission else None,
    )


def _team_owners(intent: SecurityIntent, cache: dict | None) -> tuple[tuple[str, str], ...]:
    if cache is not None and "team_owners" in cache:
        return cache["team_owners"]
    owners = tuple((t.name, t.owners[0]) for t in intent.teams)
    if cache is not None:
        cache["team_owners"] = owners
    return owners


def _namespace_plan(team: str, ns, baseline: PodSecurity, excs: tuple) -> NamespacePlan:
    """One namespace's effective PSA and labels, given the exceptions that apply to it."""
    override = ns.pod_security
    levels = {
        mode: (getattr(override, mode) if override and getattr(override, mode) else None) or baseline.level(mode)
        for mode in PSA_MODES
    }
    version = (override.version if override and override.version else None) or baseline.version
    for exc in excs:
        for mode in PSA_MODES:
            level = getattr(exc.pod_security, mode)
            if level is not None:
                levels[mode] = level
        if exc.pod_security.version:
            version = exc.pod_security.version
    psa = PodSecurity(levels["enforce"], levels["audit"], levels["warn"], version)
    labels = dict(ns.labels)
    labels.update(psa.labels())
    labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE
    labels[TEAM_LABEL] = team
    return NamespacePlan(
        name=ns.name,
        team=team,
        pod_security=psa,
        labels=tuple(sorted(labels.items())),
        annotations=tuple(sorted(ns.annotations.items())),
        exceptions=tuple(exc.id for exc in excs),
    )


def provider_principals(provider: str) -> str:
    """The grant field that lists principals for `provider`."""
    return {"eks": "aws", "gke": "gcp", "aks": "azure"}[provider]


def _principals(access, cluster: Cluster) -> list[tuple[str, str | None]]:
    """(principal, object id) of each principal a grant names on `cluster`. An AKS user is
    named as that cluster knows it (object id on azure-rbac, UPN on kubernetes-rbac); one with
    no usable form there is left out, which validation has already reported."""
    entries = getattr(access, provider_principals(cluster.provider))
    if not isinstance(cluster, AksCluster):
        return [(principal, None) for principal in entries]
    out = []
    for entry in entries:
        principal = azure_principal_on(entry, cluster.authorization)
        if principal is not None:
            object_id = entry.object_id if isinstance(entry, AzureUser) and is_upn_user(principal) else None
            out.append((principal, object_id))
    return out


def shared_federated_identities(fleet: FleetPlan) -> list[tuple[str, tuple[str, ...]]]:
    """(identity resource id, its clusters) for each AKS managed identity that two or more of
    the fleet's cluster roots federate. Entra refuses concurrent federated credential writes on
    one identity (409), and azurerm serialises them only inside one Terraform process, so such
    roots must not be applied at the same time."""
    found: dict[str, tuple[str, list[str]]] = {}  # lower-cased id -> (id, clusters)
    for plan in fleet.clusters:
        for identity in {wi.identity_resource for wi in plan.workload_identities if wi.identity_resource}:
            clusters = found.setdefault(identity.lower(), (identity, []))[1]
            if plan.name not in clusters:
                clusters.append(plan.name)
    return [(identity, tuple(clusters)) for identity, clusters in (found[k] for k in sorted(found)) if len(clusters) > 1]


def _workload_identity(cluster: Cluster, team: str, wi) -> WorkloadIdentityPlan | None:
    if isinstance(cluster, EksCluster) and wi.aws:
        return WorkloadIdentityPlan(wi.namespace, wi.service_account, team, wi.aws)
    if isinstance(cluster, GkeCluster) and wi.gcp:
        return WorkloadIdentityPlan(wi.namespace, wi.service_account, team, wi.gcp)
    if isinstance(cluster, AksCluster) and wi.azure and wi.azure.client_id and wi.azure.identity_id:
        return WorkloadIdentityPlan(
            wi.namespace, wi.service_account, team, wi.azure.client_id, wi.azure.identity_id
        )
    return None
