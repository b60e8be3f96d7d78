"""Workload identity drift (FI-WI-001..003).

A planned workload identity needs its binding (EKS pod identity association, GKE
`roles/iam.workloadIdentityUser` member, AKS federated credential) and, on GKE and AKS, the
service account annotation naming the identity. A binding of a service account to an
identity the intent does not declare is FI-WI-002; an annotation naming another identity is
FI-WI-003. On EKS an `eks.amazonaws.com/role-arn` annotation (IRSA) is itself a way in (the
role's trust policy, which the check cannot see, decides), so an undeclared one is FI-WI-002.
"""

from __future__ import annotations

from intent.check.emit import Emitter
from intent.check.findings import FI_WI_001, FI_WI_002, FI_WI_003, Finding
from intent.observe.observed import ObservedState, principal_key
from intent.plan import WorkloadIdentityPlan

ANNOTATIONS = {
    "eks": "eks.amazonaws.com/role-arn",
    "gke": "iam.gke.io/gcp-service-account",
    "aks": "azure.workload.identity/client-id",
}


def _same(provider: str, a: str, b: str) -> bool:
    return principal_key(a) == principal_key(b) if provider == "eks" else a.lower() == b.lower()


def binding_identity(provider: str, wi: WorkloadIdentityPlan) -> str:
    """What the binding names: role ARN, Google SA e-mail, or (AKS) the identity's resource id."""
    return (wi.identity_resource or wi.identity) if provider == "aks" else wi.identity


def expected_binding(plan, wi: WorkloadIdentityPlan) -> str:
    """The object a missing binding finding names."""
    if plan.provider == "eks":
        return f"PodIdentityAssociation/{wi.namespace}/{wi.service_account}"
    if plan.provider == "gke":
        member = f"serviceAccount:{plan.cluster.project}.svc.id.goog[{wi.namespace}/{wi.service_account}]"
        return f"ServiceAccountIAM/{wi.identity}/{member}"
    return f"FederatedCredential/{wi.identity_resource}/system:serviceaccount:{wi.namespace}:{wi.service_account}"


def diff_workload(emit: Emitter, observed: ObservedState) -> list[Finding]:
    """FI-WI-001..003 for one cluster."""
    plan = emit.plan
    provider = plan.provider
    planned = {(w.namespace, w.service_account): w for w in plan.workload_identities}
    out: list[Finding] = []
    bound = set()
    for o in observed.workload_identities:
        wi = planned.get((o.namespace, o.service_account))
        if wi and _same(provider, o.identity, binding_identity(provider, wi)):
            bound.add((o.namespace, o.service_account))
            continue
        expected = binding_identity(provider, wi) if wi else "none"
        out.append(emit(FI_WI_002, o.object, f"service account {o.namespace}/{o.service_account} can act as "
                        f"{o.identity}, which the intent does not declare", expected=expected, actual=o.identity,
                        namespace=o.namespace, team=emit.namespace_team(o.namespace)))
    annotation = ANNOTATIONS[provider]
    for (ns, name), wi in planned.items():
        want = binding_identity(provider, wi)
        if (ns, name) not in bound:
            out.append(emit(FI_WI_001, expected_binding(plan, wi), f"service account {ns}/{name} should be able to act "
                            f"as {want} but no binding exists", expected=want, actual="missing", namespace=ns, team=wi.team))
        sa = observed.service_account(ns, name)
        value = sa.annotation(annotation) if sa else None
        obj = f"ServiceAccount/{ns}/{name}"
        if value is None:
            if provider == "eks":
                continue  # pod identity needs no annotation
            what = f"service account {ns}/{name} does not exist" if sa is None else f"service account {ns}/{name} lacks {annotation}"
            out.append(emit(FI_WI_001, obj, f"{what} (intended {annotation}: {wi.identity})", expected=wi.identity,
                            actual="missing", namespace=ns, team=wi.team))
        elif not _same(provider, value, wi.identity):
            out.append(emit(FI_WI_003, obj, f"service account {ns}/{name} annotation {annotation} names {value}; the "
                            f"intent binds it to {wi.identity}", expected=wi.identity, actual=value, namespace=ns, team=wi.team))
    if provider == "eks":
        for sa in observed.service_accounts:
            value = sa.annotation(annotation)
            if value and (sa.namespace, sa.name) not in planned and not emit.ignored(sa.namespace):
                out.append(emit(FI_WI_002, f"ServiceAccount/{sa.namespace}/{sa.name}", f"service account "
                                f"{sa.namespace}/{sa.name} is annotated to assume {value} (IRSA), which the intent does "
                                "not declare", expected="none", actual=value, namespace=sa.namespace,
                                team=emit.namespace_team(sa.namespace)))
    return out
