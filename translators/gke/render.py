"""GKE: Google-group RBAC, project clusterViewer membership, Workload Identity."""

from __future__ import annotations

from jinja2 import Environment

from intent.plan import ClusterPlan, Grant

from ..base import RenderedFile
from ..common import (
    Subject,
    admission_files,
    annotated_service_accounts,
    per_workload_identity,
    principal_address,
    rbac_cluster_admins,
    rbac_text,
    render_root_files,
    unique_principals,
)

# 6.50.0 (the last 6.x) and 7.46.1 are the releases whose schemas the tests check the output against.
GOOGLE_PROVIDER = {"name": "google", "source": "hashicorp/google", "version": ">= 6.50, < 8.0"}
GSA_ANNOTATION = "iam.gke.io/gcp-service-account"


def render_gke(plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
    """The Terraform of one GKE cluster root."""
    identities = workload_identities(plan)
    files = {
        "providers.tf": ("gke/providers.tf.j2", {}),
        "kubernetes.tf": ("gke/kubernetes.tf.j2", {}),
        "access.tf": ("gke/access.tf.j2", {"project_members": project_members(plan)}),
        "rbac.tf": rbac_text(plan, env, rbac_subject),
        "workload-identity.tf": (
            "gke/workload-identity.tf.j2",
            {"workload_identities": identities, "service_accounts": service_accounts(plan)},
        ),
    }
    return render_root_files(plan, env, GOOGLE_PROVIDER, files) + admission_files(plan, env, cluster_admin_subjects(plan))


def cluster_admin_subjects(plan: ClusterPlan) -> list[tuple[str, str]]:
    """The RBAC subjects of the intent's cluster-admins (the admission guard's allow-list)."""
    return rbac_cluster_admins(plan, rbac_subject)


def rbac_subject(grant: Grant) -> Subject:
    """Google groups bind as Group; users and Google service accounts as User (their e-mail)."""
    return Subject("Group" if grant.kind == "group" else "User", grant.subject)


def project_members(plan: ClusterPlan) -> list[dict]:
    """roles/container.clusterViewer in the cluster's project for every principal."""
    return [{"address": principal_address(p), "member": p} for p in unique_principals(plan)]


def gsa_project(email: str) -> str:
    """The project of a Google service account (`<name>@<project>.iam.gserviceaccount.com`)."""
    return email.split("@", 1)[1].split(".", 1)[0]


def workload_identities(plan: ClusterPlan) -> list[dict]:
    """roles/iam.workloadIdentityUser on each Google service account for its KSA."""
    pool = f"{plan.cluster.project}.svc.id.goog"
    return per_workload_identity(
        plan,
        lambda wi: {
            "service_account_id": f"projects/{gsa_project(wi.identity)}/serviceAccounts/{wi.identity}",
            "member": f"serviceAccount:{pool}[{wi.namespace}/{wi.service_account}]",
        },
    )


def service_accounts(plan: ClusterPlan) -> list[dict]:
    """The Kubernetes service accounts, annotated with their Google service account."""
    return annotated_service_accounts(plan, GSA_ANNOTATION)