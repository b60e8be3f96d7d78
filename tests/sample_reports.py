"""A realistic multi-cluster, multi-team check report for the report-format tests."""

from __future__ import annotations

from intent.check.findings import RULES, Finding, Severity
from intent.check.report import ClusterStatus, Report

INTENT_SHA = "3f1d1b0c9a8e7f6d5c4b3a29180706f5e4d3c2b1a09f8e7d6c5b4a3928170605"
PLATFORM = "platform-security@acme.example"
PAYMENTS = "payments-oncall@acme.example"
CHECKOUT = "checkout-oncall@acme.example"
HOSTILE = "namespace <script>document.documentElement.setAttribute('data-pwned','1')</script> <img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\"> & \"quotes\""

CLUSTERS = (
    ClusterStatus("dev-euw1", "gke", "ok"),
    ClusterStatus("prod-euw1", "gke", "ok"),
    ClusterStatus("prod-use1", "eks", "ok"),
    ClusterStatus("prod-weu", "aks", "ok"),
    ClusterStatus("stage-use2", "eks", "unreadable"),
)


def finding(rule: str, cluster: str | None, obj: str, *, severity: Severity | None = None, provider: str | None = None,
            namespace: str | None = None, expected: str | None = None, actual: str | None = None, team: str | None = None,
            owner: str | None = None, message: str | None = None, file: str | None = None, line: int | None = None) -> Finding:
    """A finding with the catalogue's defaults filled in."""
    providers = {c.name: c.provider for c in CLUSTERS}
    return Finding(
        rule=rule,
        severity=severity or RULES[rule].severity,
        cluster=cluster,
        provider=provider or providers.get(cluster or ""),
        namespace=namespace,
        object=obj,
        expected=expected,
        actual=actual,
        message=message or RULES[rule].title,
        team=team,
        owner=owner or (PLATFORM if team is None else {"payments": PAYMENTS, "checkout": CHECKOUT}[team]),
        remediation=RULES[rule].remediation,
        file=file,
        line=line,
    )


FINDINGS = (
    finding("FI-COLLECT-001", "stage-use2", "Cluster/stage-use2", message="snapshot missing: stage-use2/aws/cluster.json"),
    finding("FI-PSA-002", "prod-use1", "Namespace/payments", namespace="payments", expected="restricted", actual="privileged",
            team="payments", message="enforce level privileged is weaker than restricted"),
    # audit and warn tie on the report's sort key; listed warn first, so order-keeping is tested
    finding("FI-PSA-002", "prod-use1", "Namespace/payments", severity=Severity.MEDIUM, namespace="payments",
            expected="restricted", actual="baseline", team="payments",
            message="namespace payments warn level is baseline, weaker than the intended restricted"),
    finding("FI-PSA-002", "prod-use1", "Namespace/payments", severity=Severity.MEDIUM, namespace="payments",
            expected="restricted", actual="baseline", team="payments",
            message="namespace payments audit level is baseline, weaker than the intended restricted"),
    finding("FI-AUTH-001", "prod-use1", "AccessEntry/arn:aws:iam::111122223333:role/legacy-admin",
            expected=None, actual="AmazonEKSClusterAdminPolicy", message="legacy-admin holds cluster-admin"),
    finding("FI-EXC-001", "prod-use1", "Exception/EXC-042", namespace="payments-batch", team="payments",
            expected="expires 2026-10-31", actual="expired", message="exception EXC-042 expired on 2026-10-31"),
    finding("FI-TF-001", "prod-use1", "kubernetes_namespace_v1.payments", namespace="payments", expected="restricted",
            actual="(no label)", team="payments", message="template namespace payments lacks the enforce label",
            file="infra/eks/prod-use1/namespaces.tf", line=12),
    finding("FI-AUTH-002", "prod-euw1", "RoleBinding/checkout/group:checkout-devs@acme.example:edit", namespace="checkout",
            expected="edit", actual=None, team="checkout", message="group checkout-devs lacks edit in checkout"),
    finding("FI-PSA-003", "prod-euw1", "Namespace/payments-batch", namespace="payments-batch", expected="latest",
            actual="v1.29", team="payments", message="PSA version v1.29 differs from latest"),
    finding("FI-NS-002", "prod-euw1", "Namespace/evil", namespace="evil", expected="baseline", actual="(no label)",
            message=HOSTILE),
    finding("FI-NS-001", "prod-weu", "Namespace/checkout", namespace="checkout", expected="present", actual="missing",
            team="checkout", message="namespace checkout is missing"),
    finding("FI-WI-002", "prod-weu", "FederatedCredential/payments/batch-runner", namespace="payments", team="payments",
            expected=None, actual="system:serviceaccount:payments:batch-runner", message="undeclared federated credential"),
    finding("FI-TF-002", None, "aws_eks_access_entry.ops", provider="eks", expected=None,
            actual="arn:aws:iam::111122223333:role/ops", message="template grants an undeclared access entry",
            file="infra/modules/base/access.tf", line=40),
)


def sample_report() -> Report:
    """Five clusters (one unreadable, one clean), two teams, cluster-wide and template findings."""
    return Report.build("intents/fleet.yaml", INTENT_SHA, CLUSTERS, FINDINGS, "2026-11-26T06:00:00+00:00")
