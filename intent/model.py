"""The intent format (SPEC §3) as pydantic v2 models.

Field names are snake_case in Python and camelCase in YAML (aliases). Every model forbids
unknown fields and is frozen, so a validated intent is an immutable value that later stages
(planner, translators, diff) can share safely.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from enum import Enum
from typing import Annotated, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)
from pydantic.alias_generators import to_camel

from intent.quoting import quote

API_VERSION = "fleet-intent/v1"
KIND = "SecurityIntent"


class Level(str, Enum):
    """A Pod Security Standards level, ordered privileged < baseline < restricted."""

    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]

    def weaker_than(self, other: "Level") -> bool:
        return self.rank < other.rank


_LEVEL_RANK = {Level.PRIVILEGED: 0, Level.BASELINE: 1, Level.RESTRICTED: 2}

PSA_MODES = ("enforce", "audit", "warn")


def _check(pattern: str, what: str):
    # re.ASCII: without it `\d` and `\w` also match Arabic-Indic or full-width digits and
    # non-Latin letters, which no provider id below accepts (or which only look like ASCII).
    regex = re.compile(pattern, re.ASCII)

    def validate(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(f"{quote(value)} is not {what}")
        return value

    return AfterValidator(validate)


def aws_partition(region: str) -> str:
    """The AWS partition of a region: ARNs used on a cluster there must be in it."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    iso = re.search(r"-iso([a-z]?)-", region)
    if iso:
        return f"aws-iso-{iso[1]}" if iso[1] else "aws-iso"
    return "aws"


def arn_partition(arn: str) -> str:
    """The partition of an ARN (`arn:<partition>:...`)."""
    return arn.split(":", 2)[1]


def _check_aws_principal(value: str) -> str:
    if ":assumed-role/" in value or re.match(r"arn:aws[a-z-]*:sts:", value):
        raise ValueError(
            f"{quote(value)} is an STS assumed-role session ARN; EKS and aws-auth match the IAM role "
            "ARN (arn:aws:iam::<account>:role/<name>), never a session"
        )
    if "*" in value:
        raise ValueError(f"{quote(value)} contains a wildcard; name one IAM role or user")
    # An IAM path is at most 512 characters and a name 64, so no ARN comes near 1000.
    if len(value) > 1000 or not _AWS_PRINCIPAL.fullmatch(value) or len(_iam_path(value)) > 512:
        raise ValueError(
            f"{quote(value)} is not an IAM role or user ARN (arn:aws:iam::<12 digits>:role/[<path>/]<name> "
            "or :user/[<path>/]<name>; a name is at most 64 ASCII letters, digits and + = , . @ _ -, a path at most 512)"
        )
    return value


def _iam_path(arn: str) -> str:
    """The IAM path of a role or user ARN (`/` when it has none, else `/<segments>/`)."""
    rest = arn.split(":", 5)[-1].split("/", 1)[-1]
    return "/" + rest.rsplit("/", 1)[0] + "/" if "/" in rest else "/"


def _check_aws_role(value: str) -> str:
    _check_aws_principal(value)
    if ":role/" not in value:
        raise ValueError(f"{quote(value)} is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)")
    return value


def _check_resource_group(value: str, what: str) -> str:
    """Azure's rule for resource group names: 1-90 of '_', '-', '.', '(', ')' and letters or
    digits as .NET's Char.IsLetterOrDigit defines them (Unicode letters and decimal digits,
    so not only ASCII), not ending in '.'."""
    ok = 1 <= len(value) <= 90 and not value.endswith(".")
    if not ok or not all(ch in "_-.()" or unicodedata.category(ch) in _LETTER_OR_DIGIT for ch in value):
        raise ValueError(f"{quote(value)} is not {what}")
    return value


# .NET Char.IsLetterOrDigit: UppercaseLetter, LowercaseLetter, TitlecaseLetter, ModifierLetter,
# OtherLetter, DecimalDigitNumber.
_LETTER_OR_DIGIT = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"}
_IDENTITY_ID = re.compile(
    r"/subscriptions/(?P<sub>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"/resourceGroups/(?P<rg>[^/]{1,90})/providers/Microsoft\.ManagedIdentity/"
    r"userAssignedIdentities/[A-Za-z0-9][A-Za-z0-9_-]{2,127}",
    re.ASCII,
)


def _check_identity_id(value: str, what: str) -> str:
    match = _IDENTITY_ID.fullmatch(value)
    if not match:
        raise ValueError(f"{quote(value)} is not {what}")
    _check_resource_group(match["rg"], f"a resource group name in {what}")
    return value


# IAM names are ASCII letters, digits and + = , . @ _ - (at most 64); a path is `/`-separated
# segments of the same characters before the name.
_IAM_NAME = r"[A-Za-z0-9+=,.@_-]"
_AWS_PARTITIONS = r"aws(?:-cn|-us-gov|-iso(?:-[bef])?)?"
_AWS_PRINCIPAL = re.compile(
    rf"arn:{_AWS_PARTITIONS}:iam::[0-9]{{12}}:(?:role|user)/(?:{_IAM_NAME}{{1,510}}/)*{_IAM_NAME}{{1,64}}", re.ASCII
)
_EMAIL = r"[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+"
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

DNS1123Label = Annotated[
    str,
    _check(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", "a DNS-1123 label (lower-case letters, digits, '-', at most 63)"),
]
DNS1123Subdomain = Annotated[
    str,
    StringConstraints(max_length=253),
    _check(
        r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
        "a DNS-1123 subdomain (lower-case letters, digits, '-', '.')",
    ),
]
Email = Annotated[str, _check(_EMAIL, "an e-mail address")]
# GUIDs are case-insensitive; the model keeps one spelling (lower case) for everything downstream.
Guid = Annotated[str, _check(_GUID, "a GUID (8-4-4-4-12 hex digits)"), AfterValidator(str.lower)]
AwsPrincipal = Annotated[str, AfterValidator(_check_aws_principal)]
AwsRoleArn = Annotated[str, AfterValidator(_check_aws_role)]
GcpPrincipal = Annotated[
    str,
    _check(
        rf"(?:group|user|serviceAccount):{_EMAIL}",
        "a GCP principal (group:<email>, user:<email> or serviceAccount:<email>)",
    ),
]
# An Entra user principal name: e-mail-like (`alice@acme.example`). Kept as written: AKS
# binds a kubernetes-rbac user by the token's `upn` claim and Kubernetes compares user names
# exactly, so the UPN must be spelled as Entra stores it.
Upn = Annotated[str, _check(_EMAIL, "a user principal name (e-mail-like, e.g. alice@acme.example)")]


def _azure_principal(value: str) -> str:
    """`group:`/`servicePrincipal:` + object id, or `user:` + object id or UPN; object ids
    lower-cased, UPNs kept as written."""
    kind, sep, subject = value.partition(":")
    if sep and kind in ("group", "user", "servicePrincipal") and re.fullmatch(_GUID, subject, re.ASCII):
        return f"{kind}:{subject.lower()}"
    if sep and kind == "user" and re.fullmatch(_EMAIL, subject, re.ASCII):
        return value
    raise ValueError(
        f"{quote(value)} is not an Azure principal (group:<object id>, servicePrincipal:<object id>, "
        "user:<object id> or user:<UPN>, or a mapping {upn: <UPN>, objectId: <object id>})"
    )


AzurePrincipal = Annotated[str, AfterValidator(_azure_principal)]
GcpServiceAccountEmail = Annotated[
    str,
    _check(
        r"[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com",
        "a Google service account e-mail (<name>@<project>.iam.gserviceaccount.com)",
    ),
]
GcpProjectId = Annotated[
    str, _check(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", "a GCP project id (6-30 lower-case letters, digits, '-')")
]
GcpLocation = Annotated[
    str, _check(r"[a-z]+-[a-z]+[0-9]+(?:-[a-z])?", "a GCP region or zone (e.g. europe-west1, europe-west1-b)")
]
AwsAccountId = Annotated[str, _check(r"[0-9]{12}", "a 12-digit AWS account id (quote it in YAML)")]
AwsRegion = Annotated[str, _check(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]", "an AWS region (e.g. us-east-1)")]
AzureResourceGroup = Annotated[
    str,
    AfterValidator(
        lambda value: _check_resource_group(value, "an Azure resource group name (1-90 letters, digits, '_', '-', '.', '()'; not ending in '.')")
    ),
]
AzureIdentityId = Annotated[
    str,
    AfterValidator(
        lambda value: _check_identity_id(
            value,
            "a user-assigned managed identity resource id (/subscriptions/<sub>/resourceGroups/<rg>/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/<name>; the name 3-128 ASCII letters, digits, '-', '_')",
        )
    ),
]
def _strict_date(value: object) -> dt.date:
    """A YAML date or a 'YYYY-MM-DD' string; never a number (pydantic would read 1798675200 as
    an epoch), a timestamp, or another spelling."""
    expected = "expected an ISO date YYYY-MM-DD (e.g. 2027-06-30)"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{expected}; {quote(value)} is no such day ({exc})") from None
    kind = "timestamp" if isinstance(value, dt.datetime) else type(value).__name__
    raise ValueError(f"{expected}, got {kind} {quote(str(value) if isinstance(value, dt.date) else value)}")


IsoDate = Annotated[dt.date, BeforeValidator(_strict_date)]
# Pod Security Admission reads `latest` or `v1.<minor>` without leading zeros and treats any
# other value as an error (k8s.io/pod-security-admission api/helpers.go, ParseVersion:
# `^v1\.([0-9]|[1-9][0-9]*)$`); the admission policies compare versions in that form.
PsaVersion = Annotated[str, _check(r"latest|v1\.(?:0|[1-9][0-9]{0,2})", "a PSA version ('latest' or 'v1.<minor>', no leading zeros)")]
ExceptionId = Annotated[str, _check(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", "an exception id (letters, digits, '.', '_', '-')")]
LabelKey = Annotated[
    str,
    _check(
        r"(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?",
        "a Kubernetes label/annotation key ([prefix/]name)",
    ),
]
LabelValue = Annotated[
    str,
    _check(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?", "a Kubernetes label value (at most 63 of A-Z a-z 0-9 - _ .)"),
]
NamespacePattern = Annotated[str, _check(r"[a-z0-9*?\[\]!-]{1,63}", "a namespace name or fnmatch pattern")]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        use_enum_values=False,
    )


class Metadata(Model):
    organisation: DNS1123Label
    owner: Email | None = None


class PodSecurityBaseline(Model):
    enforce: Level
    audit: Level | None = None
    warn: Level | None = None
    version: PsaVersion = "latest"


class PodSecurityOverride(Model):
    enforce: Level | None = None
    audit: Level | None = None
    warn: Level | None = None
    version: PsaVersion | None = None


class AzureUser(Model):
    """An Entra user by both names, for a person who reaches both kinds of AKS cluster: the
    object id is used on azure-rbac clusters (role assignments name object ids), the UPN on
    kubernetes-rbac clusters (AKS authenticates member users by their `upn` claim)."""

    upn: Upn
    object_id: Guid

    def __str__(self) -> str:
        return f"{{upn: {self.upn}, objectId: {self.object_id}}}"


def _text_or_mapping(value) -> str:
    # A string entry and a mapping entry each go to their own union branch, so a bad entry gets
    # that branch's error alone. The tags carry parentheses so that error paths leave them out
    # (intent/load.py) and point at the YAML entry itself: `nodeRoleArns[0]`, not `.<tag>`.
    return "(mapping)" if isinstance(value, (dict, BaseModel)) else "(text)"


# An `azure:` entry: a principal string, or {upn, objectId} for a user on both kinds of cluster.
AzureGrantee = Annotated[
    Union[Annotated[AzurePrincipal, Tag("(text)")], Annotated[AzureUser, Tag("(mapping)")]],
    Discriminator(_text_or_mapping),
]


def is_upn_user(principal: str) -> bool:
    """Whether an Azure principal string names a user by UPN (`user:alice@acme.example`)."""
    return principal.startswith("user:") and "@" in principal


def azure_principal_on(entry: "str | AzureUser", authorization: str) -> str | None:
    """The principal an `azure:` entry is on an AKS cluster with `authorization`, or None when
    it has no usable form there: a user is known by object id on azure-rbac clusters and by
    UPN on kubernetes-rbac ones (SPEC §11); groups and service principals by object id."""
    if isinstance(entry, AzureUser):
        return f"user:{entry.object_id}" if authorization == "azure-rbac" else f"user:{entry.upn}"
    if entry.startswith("user:") and is_upn_user(entry) != (authorization == "kubernetes-rbac"):
        return None
    return entry


class ClusterGrant(Model):
    level: Literal["view", "cluster-admin"]
    aws: list[AwsPrincipal] = Field(default_factory=list)
    gcp: list[GcpPrincipal] = Field(default_factory=list)
    azure: list[AzureGrantee] = Field(default_factory=list)


class TeamGrant(Model):
    level: Literal["view", "edit", "admin"]
    aws: list[AwsPrincipal] = Field(default_factory=list)
    gcp: list[GcpPrincipal] = Field(default_factory=list)
    azure: list[AzureGrantee] = Field(default_factory=list)


class Namespace(Model):
    name: DNS1123Label
    pod_security: PodSecurityOverride | None = None
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    annotations: dict[LabelKey, str] = Field(default_factory=dict)


class AzureWorkloadIdentity(Model):
    # Optional in the schema so that the cross-reference pass can say *why* AKS needs both.
    client_id: Guid | None = None
    identity_id: AzureIdentityId | None = None


class WorkloadIdentity(Model):
    namespace: DNS1123Label
    service_account: DNS1123Subdomain
    aws: AwsRoleArn | None = None
    gcp: GcpServiceAccountEmail | None = None
    azure: AzureWorkloadIdentity | None = None


class Team(Model):
    name: DNS1123Label
    owners: list[Email] = Field(min_length=1)
    namespaces: list[Namespace] = Field(default_factory=list)
    access: list[TeamGrant] = Field(default_factory=list)
    workload_identities: list[WorkloadIdentity] = Field(default_factory=list)


class ClusterBase(Model):
    name: DNS1123Label
    teams: list[str] = Field(default_factory=list)
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    kube_context: Annotated[str, StringConstraints(min_length=1, max_length=253)] | None = None

    @property
    def context_names(self) -> tuple[str, ...]:
        """The kubeconfig contexts live reads may use, in order of preference: the intent's
        `kubeContext` alone when it names one, else the cluster's name (a context the user
        aliased) and then the name the cloud's own CLI gives the context it writes."""
        if self.kube_context:
            return (self.kube_context,)
        return (self.name, *self.cli_context_names())

    def cli_context_names(self) -> tuple[str, ...]:
        return ()

    def credentials_command(self) -> str:
        """The cloud CLI command that writes a kubeconfig context for this cluster."""
        raise NotImplementedError


class NodeRole(Model):
    """A node role with its kind: EKS maps each kind into aws-auth with other groups (SPEC §11)."""

    arn: AwsRoleArn
    kind: Literal["linux", "windows", "fargate"] = "linux"


# A `nodeRoleArns` entry: a plain ARN (a Linux node role), or {arn, kind}.
NodeRoleEntry = Annotated[
    Union[Annotated[AwsRoleArn, Tag("(text)")], Annotated[NodeRole, Tag("(mapping)")]],
    Discriminator(_text_or_mapping),
]


class EksCluster(ClusterBase):
    provider: Literal["eks"]
    account_id: AwsAccountId
    region: AwsRegion
    authentication_mode: Literal["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"]
    # As written: an ARN string (a Linux node role) or {arn, kind}; `node_roles` reads both.
    node_role_arns: list[NodeRoleEntry] = Field(default_factory=list)

    @property
    def node_roles(self) -> tuple[NodeRole, ...]:
        """Every node role with its kind (a plain ARN is a Linux node role)."""
        return tuple(NodeRole(arn=e) if isinstance(e, str) else e for e in self.node_role_arns)

    def cli_context_names(self) -> tuple[str, ...]:
        # `aws eks update-kubeconfig` names the context after the cluster ARN unless given --alias
        # (aws/aws-cli awscli/customizations/eks/update_kubeconfig.py: "Defaults to match cluster ARN").
        return (f"arn:{aws_partition(self.region)}:eks:{self.region}:{self.account_id}:cluster/{self.name}",)

    def credentials_command(self) -> str:
        return f"aws eks update-kubeconfig --name {self.name} --region {self.region}"


class GkeCluster(ClusterBase):
    provider: Literal["gke"]
    project: GcpProjectId
    location: GcpLocation
    security_group: Email | None = None

    def cli_context_names(self) -> tuple[str, ...]:
        # `gcloud container clusters get-credentials` writes the context gke_<project>_<location>_<name>.
        return (f"gke_{self.project}_{self.location}_{self.name}",)

    def credentials_command(self) -> str:
        return f"gcloud container clusters get-credentials {self.name} --location {self.location} --project {self.project}"


class AksCluster(ClusterBase):
    provider: Literal["aks"]
    subscription_id: Guid
    resource_group: AzureResourceGroup
    authorization: Literal["azure-rbac", "kubernetes-rbac"] = "azure-rbac"

    def credentials_command(self) -> str:
        # The context is named after the cluster, which context_names already tries.
        return f"az aks get-credentials --name {self.name} --resource-group {self.resource_group}"

    @property
    def resource_id(self) -> str:
        """The ARM id of the managed cluster (the scope of its role assignments)."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.ContainerService/managedClusters/{self.name}"
        )


Cluster = Annotated[
    Union[
        Annotated[EksCluster, Tag("eks")],
        Annotated[GkeCluster, Tag("gke")],
        Annotated[AksCluster, Tag("aks")],
    ],
    Discriminator("provider"),
]

PROVIDERS = ("eks", "gke", "aks")


class PodSecurityException(Model):
    id: ExceptionId
    namespace: DNS1123Label
    clusters: list[DNS1123Label] | None = None
    pod_security: PodSecurityOverride
    reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    owner: Email
    expires: IsoDate

    def expired(self, now: dt.datetime) -> bool:
        """True once `now` (UTC) is past the end of the expiry day."""
        return now.astimezone(dt.timezone.utc).date() > self.expires


class Admission(Model):
    """The admission policies generated for every cluster (SPEC §13). `mode` sets each
    binding's validationActions: deny = [Deny], warn = [Warn, Audit] (the dry run), audit = [Audit]."""

    mode: Literal["deny", "warn", "audit"]


class SecurityIntent(Model):
    api_version: Literal["fleet-intent/v1"]
    kind: Literal["SecurityIntent"]
    metadata: Metadata
    pod_security: PodSecurityBaseline
    ignore_namespaces: list[NamespacePattern] | None = None
    cluster_access: list[ClusterGrant] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    clusters: list[Cluster] = Field(default_factory=list)
    exceptions: list[PodSecurityException] = Field(default_factory=list)
    admission: Admission | None = None


def json_schema() -> dict:
    """The JSON Schema of the intent format, with YAML (camelCase) field names."""
    schema = SecurityIntent.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://fleet-intent.dev/schema/fleet-intent-v1.json"
    schema["title"] = "fleet-intent SecurityIntent v1"
    return schema
