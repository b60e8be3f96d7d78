"""Cross-reference and provider-prerequisite checks of SPEC §3 on a schema-valid intent.

Returns (path, message, is_warning) triples; paths use the YAML spelling so the loader can
place each message at its line and column.
"""

from __future__ import annotations

import datetime as dt
import difflib

from pydantic.alias_generators import to_snake

from intent.admission import SYSTEM_NAMESPACE
from intent.model import (
    PSA_MODES,
    AksCluster,
    AzureUser,
    EksCluster,
    GkeCluster,
    NodeRole,
    SecurityIntent,
    arn_partition,
    aws_partition,
    azure_principal_on,
    is_upn_user,
)
from intent.plan import (
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    PSA_PREFIX,
    REVISION_ANNOTATION,
    REVISION_HEX,
    REVISION_PREFIX,
    TEAM_LABEL,
)
from intent.quoting import MAX_SHOWN, quote

Found = tuple[tuple, str, bool]


def check_references(intent: SecurityIntent, now: dt.datetime) -> list[Found]:
    """Every cross-reference problem of `intent` (errors and warnings)."""
    found: list[Found] = []
    found += _unique_names(intent)
    found += _cluster_teams(intent)
    found += _team_contents(intent)
    found += _reserved_labels(intent)
    found += _system_namespaces(intent)
    found += _admission_namespace(intent)
    found += _annotation_sizes(intent)
    found += _overrides(intent)
    found += _exceptions(intent, now)
    found += _provider_prerequisites(intent)
    found += _grants(intent)
    found += _azure_users(intent)
    found += _partitions(intent)
    return found


def _error(path: tuple, message: str) -> Found:
    return (path, message, False)


def _duplicates(items: list[tuple[tuple, str]], what: str, why: str = "") -> list[Found]:
    seen: dict[str, tuple] = {}
    out = []
    for path, name in items:
        if name in seen:
            first = seen[name]
            out.append(_error(path, f"{what} {quote(name)} is already declared at {_fmt(first)}{why}"))
        else:
            seen[name] = path
    return out


def _fmt(path: tuple) -> str:
    from intent.yamlsafe import format_path

    return format_path(path)


def _unique_names(intent: SecurityIntent) -> list[Found]:
    out = _duplicates([(("teams", i, "name"), t.name) for i, t in enumerate(intent.teams)], "team")
    out += _duplicates([(("clusters", i, "name"), c.name) for i, c in enumerate(intent.clusters)], "cluster")
    out += _duplicates([(("exceptions", i, "id"), e.id) for i, e in enumerate(intent.exceptions)], "exception")
    out += _duplicates(
        [
            (("teams", i, "namespaces", j, "name"), ns.name)
            for i, t in enumerate(intent.teams)
            for j, ns in enumerate(t.namespaces)
        ],
        "namespace",
        "; a namespace belongs to exactly one team",
    )
    return out


def _cluster_teams(intent: SecurityIntent) -> list[Found]:
    names = [t.name for t in intent.teams]
    out: list[Found] = []
    for i, cluster in enumerate(intent.clusters):
        if "*" in cluster.teams and len(cluster.teams) > 1:
            out.append(_error(("clusters", i, "teams"), "'*' already means every team; list either '*' alone or team names"))
            continue
        for j, team in enumerate(cluster.teams):
            if team != "*" and team not in names:
                out.append(_error(("clusters", i, "teams", j), f"no team named {quote(team)}{_hint(team, names, 'teams')}"))
        out += _duplicates([(("clusters", i, "teams", j), t) for j, t in enumerate(cluster.teams)], "team")
    return out


def _hint(word: str, choices: list[str], what: str = "valid") -> str:
    if len(word) > MAX_SHOWN:  # longer than any name; don't compare megabytes
        return ""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" ({what}: {', '.join(choices)})" if choices and len(choices) <= 10 else ""


def _team_contents(intent: SecurityIntent) -> list[Found]:
    out: list[Found] = []
    for i, team in enumerate(intent.teams):
        own = [ns.name for ns in team.namespaces]
        for j, wi in enumerate(team.workload_identities):
            if wi.namespace not in own:
                out.append(
                    _error(
                        ("teams", i, "workloadIdentities", j, "namespace"),
                        f"namespace {wi.namespace!r} is not one of team {team.name!r}'s namespaces{_hint(wi.namespace, own, 'its namespaces')}",
                    )
                )
        out += _duplicates(
            [
                (("teams", i, "workloadIdentities", j, "serviceAccount"), f"{wi.namespace}/{wi.service_account}")
                for j, wi in enumerate(team.workload_identities)
            ],
            "workload identity",
        )
        if team.access and not team.namespaces:
            out.append(_error(("teams", i, "access"), f"team {team.name!r} has access grants but no namespaces to grant them in"))
    return out


# Namespace labels the plan sets itself (or Kubernetes does); a user value would be replaced.
_RESERVED_LABELS = {
    MANAGED_BY_LABEL: f"fleet-intent sets it to {MANAGED_BY_VALUE!r} on every namespace it manages",
    TEAM_LABEL: "fleet-intent sets it to the namespace's owning team",
    "kubernetes.io/metadata.name": "Kubernetes sets it to the namespace's name",
}


def _reserved_label(key: str) -> str | None:
    """Why `key` cannot be set in a namespace's `labels`, or None when it can."""
    if key.startswith(PSA_PREFIX):
        return (
            "fleet-intent sets the Pod Security labels from the effective levels: set the level with "
            "the namespace's podSecurity (as strict or stricter than the org), or declare a weaker one "
            "in exceptions (with an owner and an expiry)"
        )
    return _RESERVED_LABELS.get(key)


def _reserved_labels(intent: SecurityIntent) -> list[Found]:
    out: list[Found] = []
    for i, team in enumerate(intent.teams):
        for j, ns in enumerate(team.namespaces):
            for key in ns.labels:
                why = _reserved_label(key)
                if why:
                    out.append(_error(("teams", i, "namespaces", j, "labels", key), f"label {key!r} is reserved: {why}; remove it from labels"))
            if REVISION_ANNOTATION in ns.annotations:
                out.append(_error(
                    ("teams", i, "namespaces", j, "annotations", REVISION_ANNOTATION),
                    f"annotation {REVISION_ANNOTATION!r} is reserved: fleet-intent sets it to the revision of the "
                    "cluster's plan, which check reads; remove it from annotations",
                ))
    return out


# Kubernetes' own namespaces: system components there run privileged pods (kube-proxy, CNI,
# CSI node plugins), so the baseline or stricter PSA labels a team namespace gets would stop
# them from being recreated. `default` is an ordinary namespace and may be a team's.
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


def _system_namespaces(intent: SecurityIntent) -> list[Found]:
    out: list[Found] = []
    for i, team in enumerate(intent.teams):
        for j, ns in enumerate(team.namespaces):
            if ns.name in SYSTEM_NAMESPACES:
                out.append(
                    _error(
                        ("teams", i, "namespaces", j, "name"),
                        f"{ns.name!r} is a Kubernetes system namespace, not a team's: fleet-intent would stamp "
                        "its Pod Security labels (baseline or stricter) on it, and the privileged system pods "
                        "there could no longer start; leave it out (it is ignored by default)",
                    )
                )
    return out


def _admission_namespace(intent: SecurityIntent) -> list[Found]:
    if intent.admission is None:
        return []
    return [
        _error(
            ("teams", i, "namespaces", j, "name"),
            f"{SYSTEM_NAMESPACE!r} holds the admission policies' parameters (admission: is set), so it "
            "cannot also be a team's namespace; rename the team's namespace",
        )
        for i, team in enumerate(intent.teams)
        for j, ns in enumerate(team.namespaces)
        if ns.name == SYSTEM_NAMESPACE
    ]


# Kubernetes refuses an object whose annotations (keys plus values, in bytes) exceed 256 KiB
# (apimachinery ValidateAnnotationsSize, TotalAnnotationSizeLimitB).
MAX_ANNOTATION_BYTES = 256 * 1024
# What the revision annotation generate adds to every namespace takes of that budget.
_REVISION_BYTES = len(REVISION_ANNOTATION) + len(REVISION_PREFIX) + REVISION_HEX


def _annotation_sizes(intent: SecurityIntent) -> list[Found]:
    out: list[Found] = []
    for i, team in enumerate(intent.teams):
        for j, ns in enumerate(team.namespaces):
            size = sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in ns.annotations.items())
            if size + _REVISION_BYTES > MAX_ANNOTATION_BYTES:
                out.append(
                    _error(
                        ("teams", i, "namespaces", j, "annotations"),
                        f"annotations of namespace {ns.name!r} total {size + _REVISION_BYTES} bytes (keys and "
                        f"values, with the {REVISION_ANNOTATION} annotation fleet-intent adds); Kubernetes "
                        f"refuses more than {MAX_ANNOTATION_BYTES} (256 KiB) per object",
                    )
                )
    return out


def _overrides(intent: SecurityIntent) -> list[Found]:
    base = intent.pod_security
    baseline = {"enforce": base.enforce, "audit": base.audit or base.enforce, "warn": base.warn or base.enforce}
    out: list[Found] = []
    for i, team in enumerate(intent.teams):
        for j, ns in enumerate(team.namespaces):
            if ns.pod_security is None:
                continue
            for mode in PSA_MODES:
                level = getattr(ns.pod_security, mode)
                if level is not None and level.weaker_than(baseline[mode]):
                    out.append(
                        _error(
                            ("teams", i, "namespaces", j, "podSecurity", mode),
                            f"{mode} {level.value!r} is weaker than the org baseline {baseline[mode].value!r}; "
                            "a namespace may only be as strict or stricter; declare a weaker level as an "
                            "exception with an owner and an expiry",
                        )
                    )
    return out


def _exceptions(intent: SecurityIntent, now: dt.datetime) -> list[Found]:
    owner_of: dict[str, str] = {ns.name: t.name for t in intent.teams for ns in t.namespaces}
    hosts: dict[str, set[str]] = {}
    for cluster in intent.clusters:
        teams = {t.name for t in intent.teams} if "*" in cluster.teams else set(cluster.teams)
        for ns, team in owner_of.items():
            if team in teams:
                hosts.setdefault(ns, set()).add(cluster.name)
    cluster_names = [c.name for c in intent.clusters]
    out: list[Found] = []
    for i, exc in enumerate(intent.exceptions):
        if exc.namespace not in owner_of:
            out.append(
                _error(("exceptions", i, "namespace"), f"no team declares namespace {exc.namespace!r}{_hint(exc.namespace, list(owner_of), 'namespaces')}")
            )
        for j, name in enumerate(exc.clusters or []):
            if name not in cluster_names:
                out.append(_error(("exceptions", i, "clusters", j), f"no cluster named {name!r}{_hint(name, cluster_names, 'clusters')}"))
            elif exc.namespace in owner_of and name not in hosts.get(exc.namespace, set()):
                out.append(
                    _error(
                        ("exceptions", i, "clusters", j),
                        f"cluster {name!r} does not host namespace {exc.namespace!r} (its team {owner_of[exc.namespace]!r} is not in the cluster's teams)",
                    )
                )
        if not any(getattr(exc.pod_security, m) for m in PSA_MODES) and not exc.pod_security.version:
            out.append(_error(("exceptions", i, "podSecurity"), "an exception must name at least one of enforce, audit, warn, version"))
        if exc.expired(now):
            out.append(
                (
                    ("exceptions", i, "expires"),
                    f"exception {exc.id} expired on {exc.expires.isoformat()} and no longer applies; renew it or remove it",
                    True,
                )
            )
    return out


def _provider_prerequisites(intent: SecurityIntent) -> list[Found]:
    out: list[Found] = []
    all_teams = {t.name: t for t in intent.teams}
    for i, cluster in enumerate(intent.clusters):
        teams = list(all_teams.values()) if "*" in cluster.teams else [all_teams[n] for n in cluster.teams if n in all_teams]
        if isinstance(cluster, EksCluster):
            out += _node_role_twice(i, cluster)
            if cluster.authentication_mode == "CONFIG_MAP" and not cluster.node_role_arns:
                out.append(
                    _error(
                        ("clusters", i, "authenticationMode"),
                        "a CONFIG_MAP cluster needs nodeRoleArns: its aws-auth ConfigMap is rewritten from the intent "
                        "and nodes whose role is missing from it can no longer join the cluster",
                    )
                )
        if isinstance(cluster, GkeCluster) and not cluster.security_group:
            groups = [p for g in intent.cluster_access for p in g.gcp if p.startswith("group:")]
            groups += [p for t in teams for g in t.access for p in g.gcp if p.startswith("group:")]
            if groups:
                out.append(
                    _error(
                        ("clusters", i),
                        f"GKE cluster {cluster.name!r} is reached by {groups[0]} but sets no securityGroup: GKE only "
                        "resolves Google Groups in RBAC through the gke-security-groups@<domain> group named in "
                        "securityGroup (authenticatorGroupsConfig)",
                    )
                )
    # An azure block only serves AKS, which needs both ids whatever cluster hosts the team today.
    for ti, team in enumerate(intent.teams):
        for j, wi in enumerate(team.workload_identities):
            if wi.azure is None:
                continue
            if wi.azure.client_id is None:
                out.append(
                    _error(
                        ("teams", ti, "workloadIdentities", j, "azure"),
                        "AKS workload identity needs azure.clientId: the service account annotation "
                        "azure.workload.identity/client-id carries it to the pod's token exchange",
                    )
                )
            if wi.azure.identity_id is None:
                out.append(
                    _error(
                        ("teams", ti, "workloadIdentities", j, "azure"),
                        "AKS workload identity needs azure.identityId: the federated identity credential is "
                        "created on that user-assigned managed identity",
                    )
                )
    return out


def _node_role_path(i: int, k: int, entry) -> tuple:
    """Where a node role's ARN is written: the entry itself, or its `arn` in the mapping form."""
    return ("clusters", i, "nodeRoleArns", k) if isinstance(entry, str) else ("clusters", i, "nodeRoleArns", k, "arn")


def _node_role_twice(i: int, cluster: EksCluster) -> list[Found]:
    """A role listed twice in nodeRoleArns: aws-auth holds one mapping per role, and EKS wants
    a separate role per kind (Windows and Linux nodes, Fargate profiles and EC2 node groups)."""
    out: list[Found] = []
    seen: dict[str, tuple[int, NodeRole]] = {}
    for k, (entry, role) in enumerate(zip(cluster.node_role_arns, cluster.node_roles)):
        key = role_arn_key(role.arn)
        if key not in seen:
            seen[key] = (k, role)
            continue
        first, earlier = seen[key]
        kind = earlier.kind
        if earlier.arn != role.arn and kind == role.kind:
            continue  # written another way: check_spellings reports it
        why = (
            "aws-auth holds one mapping per role"
            if kind == role.kind
            else f"it is already a {kind} node role (nodeRoleArns[{first}]); EKS needs a separate IAM role for each kind of node"
        )
        out.append(_error(_node_role_path(i, k, entry), f"{role.arn} is listed twice in nodeRoleArns: {why}"))
    return out


def role_arn_key(arn: str) -> str:
    """An IAM role as aws-auth tells roles apart: case-insensitive, without its path."""
    head, _, tail = arn.partition(":role/")
    return (head + ":role/" + tail.rsplit("/", 1)[-1]).lower()


def _grants(intent: SecurityIntent) -> list[Found]:
    out: list[Found] = []
    grant_lists = [(("clusterAccess", i), g) for i, g in enumerate(intent.cluster_access)]
    grant_lists += [(("teams", i, "access", j), g) for i, t in enumerate(intent.teams) for j, g in enumerate(t.access)]
    for path, grant in grant_lists:
        for provider in ("aws", "gcp", "azure"):
            principals = getattr(grant, provider)
            seen: set[str] = set()
            for k, principal in enumerate(principals):
                keys = _grant_keys(provider, principal)
                if seen & keys:
                    out.append(_error(path + (provider, k), f"{principal} is listed twice in this grant"))
                seen |= keys
        if not (grant.aws or grant.gcp or grant.azure):
            out.append(_error(path, "grant names no principal (aws, gcp or azure)"))
    return out


def _grant_keys(provider: str, principal) -> set[str]:
    """The names a grant entry is known by: a paired Azure user by its UPN and object id."""
    if isinstance(principal, AzureUser):
        return {f"user:{principal.object_id}", f"user:{principal.upn.lower()}"}
    return {principal if provider == "gcp" else principal.lower()}


def _grants_reaching(intent: SecurityIntent, clusters: list, field: str) -> list[tuple[tuple, object, list]]:
    """(path, entry, the `clusters` it reaches) for each `field` ("aws", "azure") entry of every
    grant: a clusterAccess grant reaches all of `clusters`, a team's those that host the team."""
    every_team = [t.name for t in intent.teams]
    hosted_by = {c.name: set(every_team) if "*" in c.teams else set(c.teams) for c in clusters}
    reaching: list[tuple[tuple, object, list]] = []
    for i, grant in enumerate(intent.cluster_access):
        reaching += [(("clusterAccess", i, field, k), entry, clusters) for k, entry in enumerate(getattr(grant, field))]
    for i, team in enumerate(intent.teams):
        on = [c for c in clusters if team.name in hosted_by[c.name]]
        for j, grant in enumerate(team.access):
            reaching += [(("teams", i, "access", j, field, k), entry, on) for k, entry in enumerate(getattr(grant, field))]
    return reaching


def _some(clusters: list, shown=lambda c: repr(c.name)) -> str:
    """The first three of `clusters`, and how many more."""
    named = ", ".join(shown(c) for c in clusters[:3])
    return named + (f" and {len(clusters) - 3} more" if len(clusters) > 3 else "")


def _azure_users(intent: SecurityIntent) -> list[Found]:
    """Every Azure user must have a usable form on each AKS cluster its grant reaches (SPEC
    §11): azure-rbac role assignments name the object id, while AKS authenticates a member
    user on a kubernetes-rbac cluster by the token's `upn` claim, so a binding to the object id
    would grant nothing."""
    aks = [c for c in intent.clusters if isinstance(c, AksCluster)]
    if not aks:
        return []
    out: list[Found] = []
    for path, entry, clusters in _grants_reaching(intent, aks, "azure"):
        unusable = [c for c in clusters if azure_principal_on(entry, c.authorization) is None]
        if unusable:
            named = _some(unusable)
            user = str(entry).split(":", 1)[1]
            if is_upn_user(str(entry)):
                why = (f"reaches azure-rbac AKS cluster(s) {named}, whose role assignments need the user's object id: "
                       f"write it as {{upn: {user}, objectId: <the user's object id>}}")
            else:
                why = (f"reaches kubernetes-rbac AKS cluster(s) {named}, which know an Entra member user by UPN (the "
                       f"token's upn claim), not object id, so a binding to it grants nothing: write it as "
                       f"{{upn: <the user's UPN>, objectId: {user}}}")
            out.append(_error(path, f"{entry} {why}"))
        elif isinstance(entry, str) and is_upn_user(entry) and clusters:
            named = _some(clusters)
            out.append((path, f"{entry} gets no Azure Kubernetes Service Cluster User Role on {named}: "
                              "a role assignment needs the user's object id; write {upn: ..., objectId: ...} to "
                              "have it assigned (or assign it outside fleet-intent)", True))
    return out


def _partitions(intent: SecurityIntent) -> list[Found]:
    """An IAM ARN must be in the partition of every EKS cluster it reaches (SPEC §11): EKS and
    IAM never accept a principal from another partition."""
    eks = [c for c in intent.clusters if isinstance(c, EksCluster)]
    if not eks:
        return []
    reaching = _grants_reaching(intent, eks, "aws")
    for i, team in enumerate(intent.teams):
        on = [c for c in eks if "*" in c.teams or team.name in c.teams]
        for j, wi in enumerate(team.workload_identities):
            if wi.aws:
                reaching.append((("teams", i, "workloadIdentities", j, "aws"), wi.aws, on))
    for i, cluster in enumerate(intent.clusters):
        if isinstance(cluster, EksCluster):
            reaching += [(_node_role_path(i, k, entry), role.arn, [cluster]) for k, (entry, role) in enumerate(zip(cluster.node_role_arns, cluster.node_roles))]
    out: list[Found] = []
    for path, arn, clusters in reaching:
        partition = arn_partition(arn)
        other = [c for c in clusters if aws_partition(c.region) != partition]
        if other:
            named = _some(other, lambda c: f"{c.name!r} ({c.region}, partition {aws_partition(c.region)!r})")
            out.append(
                _error(
                    path,
                    f"ARN partition {partition!r} differs from that of EKS cluster(s) {named} it reaches; "
                    "IAM principals only work in their own partition: use the cluster's partition in the ARN",
                )
            )
    return out


def check_spellings(data: dict) -> list[Found]:
    """Principals written two ways in one intent (the raw, schema-valid YAML data, before the
    model lower-cases Azure ids): IAM role and user names are unique per account whatever their
    case and path, and Entra object ids are GUIDs, also case-insensitive. Two spellings would
    read as two principals (two access entries) where the provider has one."""
    first: dict[tuple, tuple[tuple, str]] = {}
    out: list[Found] = []
    for path, text, key, what in _principal_spellings(data):
        if key not in first:
            first[key] = (path, text)
            continue
        where, seen = first[key]
        if text == seen:
            continue
        if what == "IAM":
            same_path = seen.rsplit("/", 1)[0].lower() == text.rsplit("/", 1)[0].lower()
            how = "in another case" if same_path else "under another path"
            why = "IAM role and user names are unique in an account whatever their case and path"
        elif seen.split(":", 1)[0] != text.split(":", 1)[0]:
            how, why = "as another kind", "an Entra object id names one object, which is a group, a user or a service principal"
        elif "@" in text:
            how, why = "in another case", "Entra does not tell UPNs apart by case, but Kubernetes compares user names exactly"
        else:
            how, why = "in another case", "Entra object ids are GUIDs, which are not distinguished by case"
        out.append(
            _error(path, f"{quote(text)} is {quote(seen)} (at {_fmt(where)}) written {how}: {why}; write it one way everywhere")
        )
    return out + _user_pairs(data)


def _user_pairs(data: dict) -> list[Found]:
    """One Entra user has one UPN and one object id: two {upn, objectId} entries that share
    one of them but not the other would name one person two ways."""
    pairs: dict[tuple, dict[str, str]] = {}  # entry path -> {"upn": ..., "objectId": ...}
    for path, text, _, _ in _principal_spellings(data):
        if path[-1] in ("upn", "objectId", "object_id"):
            field = "upn" if path[-1] == "upn" else "objectId"
            pairs.setdefault(path[:-1], {})[field] = text.split(":", 1)[1]
    out: list[Found] = []
    seen: dict[tuple[str, str], tuple[tuple, str]] = {}  # (field, its value) -> (path, the other field's value)
    for path, pair in pairs.items():
        for field, other in (("objectId", "upn"), ("upn", "objectId")):
            key = (field, pair[field].lower())
            if key in seen and seen[key][1].lower() != pair[other].lower():
                where, was = seen[key]
                out.append(_error(path, f"{field} {quote(pair[field])} is paired with {other} {quote(was)} at "
                                        f"{_fmt(where)} but with {quote(pair[other])} here: one Entra user has one UPN "
                                        "and one object id; write the same pair everywhere"))
            seen.setdefault(key, (path, pair[other]))
    return out


def _principal_spellings(data: dict):
    """(path, text, identity key, 'IAM' | 'Entra') of each AWS and Azure principal, in order."""

    def aws(path: tuple, arn: str):
        head, _, rest = arn.partition(":role/") if ":role/" in arn else arn.partition(":user/")
        kind = "role" if ":role/" in arn else "user"
        return path, arn, ("iam", head, kind, rest.rsplit("/", 1)[-1].lower()), "IAM"

    def azure(path: tuple, principal: str):
        return path, principal, ("entra", principal.split(":", 1)[1].lower()), "Entra"

    def grant(path: tuple, g: dict):
        for k, arn in enumerate(g.get("aws") or []):
            yield aws(path + ("aws", k), arn)
        for k, principal in enumerate(g.get("azure") or []):
            if isinstance(principal, dict):  # {upn, objectId}: one user by both names
                oid_field = "objectId" if "objectId" in principal else "object_id"
                yield azure(path + ("azure", k, oid_field), f"user:{principal[oid_field]}")
                yield azure(path + ("azure", k, "upn"), f"user:{principal['upn']}")
            else:
                yield azure(path + ("azure", k), principal)

    def field(mapping: dict, alias: str) -> tuple[str, list]:
        # The model also takes the Python field name (populate_by_name); paths use what was written.
        name = alias if alias in mapping else to_snake(alias)
        return name, mapping.get(name) or []

    top, grants = field(data, "clusterAccess")
    for i, g in enumerate(grants):
        yield from grant((top, i), g)
    for i, team in enumerate(data.get("teams") or []):
        for j, g in enumerate(team.get("access") or []):
            yield from grant(("teams", i, "access", j), g)
        name, identities = field(team, "workloadIdentities")
        for j, wi in enumerate(identities):
            if wi.get("aws"):
                yield aws(("teams", i, name, j, "aws"), wi["aws"])
    for i, cluster in enumerate(data.get("clusters") or []):
        name, roles = field(cluster, "nodeRoleArns")
        for k, entry in enumerate(roles):
            if isinstance(entry, dict):  # {arn, kind}
                yield aws(("clusters", i, name, k, "arn"), entry["arn"])
            else:
                yield aws(("clusters", i, name, k), entry)
