"""The observed state of one cluster, in the same neutral vocabulary as the plan.

Translators read a cluster's documents (SPEC §7) into an `ObservedState`; the diff engine
compares it with the `ClusterPlan`. Principals are spelled as in the intent (IAM ARN,
`group:<email>`, `user:<object id>` ...), levels are the intent's (view, edit, admin,
cluster-admin) or `other:<what>` for a grant the intent cannot express. Provider-managed
objects (SPEC §7) are already left out. Everything is a frozen dataclass of tuples and dumps
to JSON (`to_dict`) for debugging.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

LEVEL_RANK = {"view": 1, "edit": 2, "admin": 3, "cluster-admin": 4}


def level_rank(level: str) -> int:
    """1..4 for the intent's levels, 0 for anything else (`other:*`)."""
    return LEVEL_RANK.get(level, 0)


@dataclass(frozen=True, slots=True)
class ObservedNamespace:
    """A namespace with its labels and annotations (sorted pairs)."""

    name: str
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...] = ()

    def label(self, key: str) -> str | None:
        return dict(self.labels).get(key)

    def annotation(self, key: str) -> str | None:
        return dict(self.annotations).get(key)


@dataclass(frozen=True, slots=True)
class ObservedGrant:
    """Access one principal holds, and the object that gives it.

    `namespaces` is empty for cluster scope. `object` names the object a finding points at
    (e.g. `AccessEntry/<arn>`, `aws-auth/mapRoles/<arn>`, `ClusterRoleBinding/<name>`,
    `RoleAssignment/<scope>/<role>/<principal>`); `via` says how it was resolved (for messages).
    `managed` is False for a kind of object fleet-intent never writes on this cluster (aws-auth
    on an API_AND_CONFIG_MAP cluster): such a grant is drift whatever it grants.
    """

    principal: str
    level: str
    scope: str  # namespace | cluster
    namespaces: tuple[str, ...]
    object: str
    via: str = ""
    system_masters: bool = False
    managed: bool = True


@dataclass(frozen=True, slots=True)
class ObservedCloudRole:
    """A cloud IAM role a principal holds on or above the cluster (GKE project IAM, AKS
    control-plane role assignments) that the check looks at."""

    principal: str
    role: str  # e.g. roles/container.clusterViewer, or the AKS role name
    object: str


@dataclass(frozen=True, slots=True)
class ObservedWorkloadIdentity:
    """A binding that lets a Kubernetes service account act as a cloud identity.

    `identity` is spelled like the plan's: IAM role ARN, Google service account e-mail, or the
    managed identity's resource id (AKS federated credential).
    """

    namespace: str
    service_account: str
    identity: str
    object: str


@dataclass(frozen=True, slots=True)
class ObservedServiceAccount:
    """A Kubernetes service account and its annotations (sorted pairs)."""

    namespace: str
    name: str
    annotations: tuple[tuple[str, str], ...]

    def annotation(self, key: str) -> str | None:
        return dict(self.annotations).get(key)


@dataclass(frozen=True, slots=True)
class ObservedAdmissionPolicy:
    """An installed ValidatingAdmissionPolicy: its `spec` as plain JSON with the API server's
    defaults removed (so it compares with the generated spec as written)."""

    name: str
    spec: dict[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True)
class ObservedAdmissionBinding:
    """An installed ValidatingAdmissionPolicyBinding. `param_ref` and `match_resources` are
    plain JSON (None when unset; `match_resources` with the API server's defaults removed, and
    None when nothing but defaults remained)."""

    name: str
    policy_name: str
    validation_actions: tuple[str, ...]
    param_ref: dict[str, Any] | None = field(default=None, hash=False)
    match_resources: dict[str, Any] | None = field(default=None, hash=False)


@dataclass(frozen=True, slots=True)
class ObservedConfigMap:
    """A ConfigMap of the admission parameters' namespace and its `data` (sorted pairs)."""

    name: str
    data: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ObservedAdmission:
    """The admission policies, bindings and parameter ConfigMaps a cluster holds.

    `served` is False when the API server does not serve `admissionregistration.k8s.io/v1`
    validatingadmissionpolicies (before Kubernetes 1.30): then it holds none. `params` is None
    when the parameters were not read (a snapshot without that document)."""

    served: bool
    policies: tuple[ObservedAdmissionPolicy, ...] = ()
    bindings: tuple[ObservedAdmissionBinding, ...] = ()
    params: tuple[ObservedConfigMap, ...] | None = ()

    def policy(self, name: str) -> ObservedAdmissionPolicy | None:
        return next((p for p in self.policies if p.name == name), None)

    def binding(self, name: str) -> ObservedAdmissionBinding | None:
        return next((b for b in self.bindings if b.name == name), None)

    def config_map(self, name: str) -> ObservedConfigMap | None:
        return next((c for c in self.params or () if c.name == name), None)


@dataclass(frozen=True, slots=True)
class ObservedState:
    """Everything the check compares for one cluster.

    `settings` holds the cluster's authentication settings by name (EKS
    `authenticationMode`; AKS `aadProfile.managed`, `enableAzureRbac`, `disableLocalAccounts`,
    `oidcIssuerProfile.enabled`, `securityProfile.workloadIdentity.enabled`; GKE
    `workloadPool`, `securityGroup`); a value is a str, bool or None (absent).
    `node_roles` are the EKS node roles found in aws-auth as (ARN, the kind it is mapped as:
    linux | windows | fargate): provider-managed, kept so the check can tell nodes would stop
    joining. `aws_auth_present` says whether an EKS cluster that reads
    aws-auth has the kube-system/aws-auth ConfigMap at all (None where that does not apply).
    `admission` holds the admission policies, bindings and parameters (SPEC §13), read only
    when the intent declares `admission:` (None otherwise).
    """

    cluster: str
    provider: str
    namespaces: tuple[ObservedNamespace, ...] = ()
    grants: tuple[ObservedGrant, ...] = ()
    cloud_roles: tuple[ObservedCloudRole, ...] = ()
    workload_identities: tuple[ObservedWorkloadIdentity, ...] = ()
    service_accounts: tuple[ObservedServiceAccount, ...] = ()
    settings: tuple[tuple[str, Any], ...] = ()
    node_roles: tuple[tuple[str, str], ...] = ()
    aws_auth_present: bool | None = None
    admission: ObservedAdmission | None = None

    def setting(self, name: str) -> Any:
        return dict(self.settings).get(name)

    def namespace(self, name: str) -> ObservedNamespace | None:
        for ns in self.namespaces:
            if ns.name == name:
                return ns
        return None

    def service_account(self, namespace: str, name: str) -> ObservedServiceAccount | None:
        for sa in self.service_accounts:
            if sa.namespace == namespace and sa.name == name:
                return sa
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dump."""
        return _plain(self)


_PAIR_FIELDS = {"labels", "annotations", "settings", "node_roles", "data"}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {
            f.name: (
                {k: _plain(v) for k, v in getattr(value, f.name)}
                if f.name in _PAIR_FIELDS
                else _plain(getattr(value, f.name))
            )
            for f in dataclasses.fields(value)
        }
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


# The aws-auth groups of a (Linux) node role (https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html).
AWS_AUTH_NODE_GROUPS = frozenset({"system:bootstrappers", "system:nodes"})

# The aws-auth username and groups EKS itself writes for each kind of node role (SPEC §11):
# - linux: EKS user guide auth-configmap / launch-workers (and eksctl RoleNodeGroupGroups);
# - windows: the Linux groups plus eks:kube-proxy-windows (EKS user guide
#   launch-windows-workers.adoc; botocore eks CreateNodegroupRequest.amiType doc);
# - fargate: username system:node:{{SessionName}} (EKS user guide creating-access-entries.adoc,
#   FARGATE_LINUX) and the groups EKS writes when it creates a Fargate profile, plus
#   system:node-proxier (the mapping EKS adds, shown in aws/containers-roadmap#807).
AWS_AUTH_NODE_KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "linux": ("system:node:{{EC2PrivateDNSName}}", AWS_AUTH_NODE_GROUPS),
    "windows": ("system:node:{{EC2PrivateDNSName}}", AWS_AUTH_NODE_GROUPS | {"eks:kube-proxy-windows"}),
    "fargate": ("system:node:{{SessionName}}", AWS_AUTH_NODE_GROUPS | {"system:node-proxier"}),
}


def aws_auth_node_kind(groups) -> str | None:
    """The kind of node role an aws-auth mapping is for (linux, windows, fargate), or None.

    A node mapping holds the groups EKS writes for one kind and nothing else (a subset counts:
    a mapping with only system:nodes is still a node's, not a grant). Such a mapping is
    provider-managed and never drift; any other group on it (system:masters, a team group, or
    another kind's group) makes it a grant. The narrowest kind wins, so the Linux groups read as linux.
    """
    found = set(groups)
    if not found:
        return None
    for kind, (_, kind_groups) in AWS_AUTH_NODE_KINDS.items():
        if found <= kind_groups:
            return kind
    return None


def aws_auth_node_mapping(groups) -> bool:
    """Whether an aws-auth mapping is a node role's (of any kind, see `aws_auth_node_kind`)."""
    return aws_auth_node_kind(groups) is not None


def role_arn_without_path(arn: str) -> str:
    """An IAM role ARN as aws-auth matches it: aws-iam-authenticator compares against the
    assumed-role ARN, which carries no IAM path, so `role/ci/x` is written `role/x`. User ARNs
    (and anything else) are returned unchanged: a user ARN keeps its path in aws-auth."""
    head, sep, tail = arn.partition(":role/")
    return head + sep + tail.rsplit("/", 1)[-1] if sep and arn.startswith("arn:") else arn


@functools.lru_cache(maxsize=1 << 16)  # pure, and asked for every grant on both sides of a diff
def principal_key(principal: str) -> str:
    """A principal's comparison key: case-insensitive, IAM paths stripped.

    IAM matches ARNs case-insensitively in aws-auth and role/user names are unique per account
    whatever their path (aws-auth `rolearn` cannot carry one), Entra object ids and e-mails are
    case-insensitive.
    """
    if principal.startswith("arn:"):
        head, sep, tail = principal.partition(":role/") if ":role/" in principal else principal.partition(":user/")
        if sep:
            return (head + sep + tail.rsplit("/", 1)[-1]).lower()
        return principal.lower()
    kind, sep, rest = principal.partition(":")
    return f"{kind}:{rest.lower()}" if sep else principal.lower()


def plan_spelling(principals) -> dict[str, str]:
    """Comparison key -> the intent's spelling, for mapping observed principals back."""
    return {principal_key(p): p for p in principals}
