"""Findings and the rule catalogue (SPEC §8).

Only the diff engines create findings; reporters format them. The catalogue feeds
`fleet-intent explain`, SARIF rule metadata and the default severity of each rule.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Any


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info."""
        return _SEVERITY_RANK[self]

    def at_least(self, threshold: "Severity") -> bool:
        return self.rank >= threshold.rank


_SEVERITY_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1, Severity.INFO: 0}

FI_COLLECT_001 = "FI-COLLECT-001"
FI_NS_001 = "FI-NS-001"
FI_NS_002 = "FI-NS-002"
FI_PSA_001 = "FI-PSA-001"
FI_PSA_002 = "FI-PSA-002"
FI_PSA_003 = "FI-PSA-003"
FI_EXC_001 = "FI-EXC-001"
FI_AUTH_001 = "FI-AUTH-001"
FI_AUTH_002 = "FI-AUTH-002"
FI_AUTH_003 = "FI-AUTH-003"
FI_AUTH_004 = "FI-AUTH-004"
FI_AUTH_005 = "FI-AUTH-005"
FI_WI_001 = "FI-WI-001"
FI_WI_002 = "FI-WI-002"
FI_WI_003 = "FI-WI-003"
FI_TF_001 = "FI-TF-001"
FI_TF_002 = "FI-TF-002"
FI_TF_003 = "FI-TF-003"
FI_ADM_001 = "FI-ADM-001"
FI_ADM_002 = "FI-ADM-002"


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's catalogue entry."""

    id: str
    severity: Severity  # default; FI-PSA-002 and FI-AUTH-004 vary per finding
    title: str
    meaning: str
    remediation: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            FI_COLLECT_001,
            Severity.HIGH,
            "Cluster could not be read",
            "The live APIs or the snapshot of this cluster could not be read (missing files, authentication "
            "failure, timeout after retries), so nothing about it is known. An unreadable cluster is never a pass.",
            "Fix access (credentials, kubeconfig context, network, snapshot files) and run the check again.",
        ),
        Rule(
            FI_NS_001,
            Severity.HIGH,
            "Declared namespace missing",
            "A namespace the intent declares for this cluster does not exist on it.",
            "Apply the generated Terraform for the cluster (out/clusters/<cluster>), which creates the namespace.",
        ),
        Rule(
            FI_NS_002,
            Severity.MEDIUM,
            "Unmanaged namespace below the baseline",
            "A namespace the intent does not declare, and that ignoreNamespaces does not match, has no enforce "
            "label or one weaker than the org baseline.",
            "Declare the namespace under its team in the intent, label it at the baseline, add it to "
            "ignoreNamespaces if the provider manages it, or delete it.",
        ),
        Rule(
            FI_PSA_001,
            Severity.HIGH,
            "Enforce label missing",
            "A managed namespace has no pod-security.kubernetes.io/enforce label, so Kubernetes admits any pod.",
            "Apply the generated namespace module; do not remove PSA labels by hand.",
        ),
        Rule(
            FI_PSA_002,
            Severity.HIGH,
            "PSA level weaker than intended",
            "A managed namespace's enforce (high), audit or warn (medium) level is weaker than the effective "
            "intent (baseline, stricter override, or an unexpired exception).",
            "Re-apply the generated namespace module; if the weaker level is needed, add an exception with an "
            "owner and an expiry to the intent.",
        ),
        Rule(
            FI_PSA_003,
            Severity.LOW,
            "PSA version label differs",
            "A managed namespace pins a different Pod Security Standards version than the intent.",
            "Re-apply the generated namespace module, or change podSecurity.version in the intent.",
        ),
        Rule(
            FI_EXC_001,
            Severity.MEDIUM,
            "Exception expired",
            "A Pod Security exception has passed its expiry date; it no longer excuses a weaker level. It stays a "
            "finding until renewed or removed from the intent.",
            "Renew the exception (new expiry, reviewed reason) or remove it and restore the namespace's level.",
        ),
        Rule(
            FI_AUTH_001,
            Severity.CRITICAL,
            "Unauthorised cluster-admin",
            "cluster-admin is held by a principal not in clusterAccess cluster-admin: aws-auth system:masters, "
            "AmazonEKSClusterAdminPolicy, a binding to cluster-admin, AKS RBAC Cluster Admin, GKE owner/editor/"
            "container.admin.",
            "Remove the grant now (it is full control of the cluster); if it is needed, add the principal to "
            "clusterAccess cluster-admin and regenerate.",
        ),
        Rule(
            FI_AUTH_002,
            Severity.MEDIUM,
            "Intended grant missing",
            "A grant the intent declares does not exist on the cluster.",
            "Apply the generated Terraform for the cluster.",
        ),
        Rule(
            FI_AUTH_003,
            Severity.HIGH,
            "Undeclared grant",
            "A principal holds access that the intent does not declare.",
            "Remove the grant, or declare it in the intent (team access or clusterAccess) and regenerate.",
        ),
        Rule(
            FI_AUTH_004,
            Severity.HIGH,
            "Grant level or scope differs",
            "A declared principal holds a different level or scope than intended: broader (high) or narrower "
            "(medium).",
            "Apply the generated Terraform for the cluster, or change the grant in the intent.",
        ),
        Rule(
            FI_AUTH_005,
            Severity.HIGH,
            "Cluster authentication settings differ",
            "EKS authenticationMode, AKS managed Entra ID / Azure RBAC / local accounts / OIDC issuer / workload "
            "identity, or GKE workload pool / security group differ from what the intent implies.",
            "Fix the cluster's settings in its provisioning Terraform (the values are in the finding).",
        ),
        Rule(
            FI_WI_001,
            Severity.MEDIUM,
            "Workload identity binding missing",
            "An intended workload identity binding (pod identity association, IAM member, federated credential "
            "or service account annotation) is missing.",
            "Apply the generated Terraform for the cluster.",
        ),
        Rule(
            FI_WI_002,
            Severity.HIGH,
            "Undeclared workload identity binding",
            "A service account can assume a cloud identity that the intent does not declare.",
            "Remove the binding, or declare the workload identity under its team.",
        ),
        Rule(
            FI_WI_003,
            Severity.HIGH,
            "Service account identity annotation points elsewhere",
            "A service account's identity annotation names a different cloud identity than the intent.",
            "Re-apply the generated service account, or correct the intent.",
        ),
        Rule(
            FI_TF_001,
            Severity.HIGH,
            "Terraform namespace without intended PSA labels",
            "A Terraform template creates a managed namespace whose PSA labels are missing or weaker than intended. "
            "The Kubernetes provider ignores *.kubernetes.io labels that are not in configuration, so this never "
            "shows in terraform plan.",
            "Use the generated namespaces module (out/modules/namespaces) or add the intended labels.",
        ),
        Rule(
            FI_TF_002,
            Severity.HIGH,
            "Terraform grants undeclared access",
            "A Terraform template grants access (access entry, aws-auth mapping, IAM member, role assignment) the "
            "intent does not declare.",
            "Remove the grant from the template, or declare it in the intent.",
        ),
        Rule(
            FI_TF_003,
            Severity.MEDIUM,
            "Terraform misses an intended grant or namespace",
            "A Terraform template for a managed cluster lacks a grant or namespace the intent declares.",
            "Add it to the template, or use the generated output.",
        ),
        Rule(
            FI_ADM_001,
            Severity.HIGH,
            "Admission policy missing or weakened",
            "An admission policy the intent's admission block gives this cluster (fleet-intent-psa-floor, "
            "fleet-intent-cluster-admin-guard, fleet-intent-aws-auth-guard) does not hold as generated: the "
            "ValidatingAdmissionPolicy or its binding is missing; the binding's validationActions are weaker than "
            "the intent's mode (e.g. [Audit] where it says deny); the installed policy differs from the generated "
            "one (a changed expression, an added matchCondition, failurePolicy Ignore: as good as missing); the "
            "binding points at another policy or parameters, or narrows the policy with matchResources; or the "
            "cluster does not serve admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies (Kubernetes "
            "before 1.30). Only a weaker mode is a finding: a binding stricter than the intent is not.",
            "Apply the cluster's generated admission objects (out/clusters/<cluster>/admission.tf, or kubectl apply "
            "-f out/clusters/<cluster>/manifests/admission.yaml); upgrade a cluster that does not serve the API to "
            "Kubernetes 1.30 or later. An admission policy cannot guard policies and bindings themselves: allow "
            "only the deployer to write them (RBAC).",
        ),
        Rule(
            FI_ADM_002,
            Severity.MEDIUM,
            "Admission parameters differ from the intent",
            "A parameter ConfigMap of an admission policy (namespace fleet-intent-system) is missing or its data "
            "differs from what the intent gives this cluster: a Pod Security floor lowered or raised, a namespace "
            "floor added or removed, an allowed cluster-admin subject added or missing. The policy judges requests "
            "by these parameters, so a changed value changes what it lets through.",
            "Apply the cluster's generated admission objects (the ConfigMaps in out/clusters/<cluster>/admission.tf "
            "or manifests/admission.yaml); if the new value is wanted, change the intent (an exception, "
            "clusterAccess) and regenerate.",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One divergence between intent and reality, routed to its owner (SPEC §8)."""

    rule: str
    severity: Severity
    cluster: str | None
    provider: str | None
    namespace: str | None
    object: str
    expected: str | None
    actual: str | None
    message: str
    team: str | None
    owner: str | None
    remediation: str
    file: str | None = None  # FI-TF-* only: the template file
    line: int | None = None  # FI-TF-* only: the line of the offending block

    def sort_key(self) -> tuple:
        # SPEC order (cluster, rule, object); the rest only breaks ties so that order never
        # depends on the order findings were produced in.
        return (
            self.cluster or "",
            self.rule,
            self.object,
            self.namespace or "",
            -self.severity.rank,
            self.expected or "",
            self.actual or "",
            self.message,
            self.file or "",
            self.line or 0,
        )

    def to_dict(self) -> dict[str, Any]:
        """SPEC §8 JSON; `file`/`line` only when set."""
        # Every field is a plain value: a shallow dict (asdict deep-copies each finding).
        out = {field.name: getattr(self, field.name) for field in fields(self)}
        out["severity"] = self.severity.value
        if self.file is None:
            out.pop("file")
            out.pop("line")
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        values = dict(data)
        values["severity"] = Severity(values["severity"])
        values.setdefault("file", None)
        values.setdefault("line", None)
        return cls(**values)


def sort_findings(findings) -> list[Finding]:
    """Findings in report order: (cluster, rule, object)."""
    return sorted(findings, key=Finding.sort_key)
