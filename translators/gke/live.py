"""GKE live reads: the `gcp/*.json` documents of one cluster through the Google Cloud clients.

Endpoints: `FLEET_INTENT_GKE_ENDPOINT` (container API), `FLEET_INTENT_IAM_ENDPOINT` (IAM
service-account policies) and `FLEET_INTENT_CRM_ENDPOINT` (Resource Manager project policy;
when unset, the IAM override is used, so one private or test endpoint can serve both).
Clients speak REST (`transport="rest"`), whose JSON is what gcloud prints; the one IAM call
goes through google-auth's AuthorizedSession (see `service_account_policy`). Each worker
thread keeps its clients across the clusters it reads (`GoogleClients`).
Credentials: `GOOGLE_OAUTH_ACCESS_TOKEN` (an access token, as the Terraform google provider
accepts) when set, else Application Default Credentials.
"""

from __future__ import annotations

import os
import threading
from typing import Any

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
DEFAULT_IAM = "https://iam.googleapis.com"
_local = threading.local()


def endpoints() -> dict[str, str | None]:
    """The endpoint overrides in force (None = the client's default)."""
    iam = os.environ.get("FLEET_INTENT_IAM_ENDPOINT") or None
    return {
        "container": os.environ.get("FLEET_INTENT_GKE_ENDPOINT") or None,
        "iam": iam,
        "crm": os.environ.get("FLEET_INTENT_CRM_ENDPOINT") or iam,
    }


def import_sdk() -> None:
    """Import the Google clients now, so that their import time is not charged to a cluster's deadline."""
    import google.auth.transport.requests  # noqa: F401
    import google.cloud.container_v1  # noqa: F401
    import google.cloud.resourcemanager_v3  # noqa: F401


def default_credentials():
    """An access-token credential from GOOGLE_OAUTH_ACCESS_TOKEN, else google.auth.default()."""
    token = os.environ.get("GOOGLE_OAUTH_ACCESS_TOKEN")
    if token:
        from google.oauth2.credentials import Credentials

        return Credentials(token=token)
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError as exc:
        return _Unusable(f"gke credentials: {' '.join(str(exc).split())}")
    return credentials


class _Unusable:
    """Stands in for missing credentials: each GKE cluster reports the cause, found once."""

    def __init__(self, cause: str) -> None:
        self.cause = cause


def _options(endpoint: str | None) -> dict[str, str] | None:
    return {"api_endpoint": endpoint} if endpoint else None


class GoogleClients:
    """The container and Resource Manager clients and the IAM session of one worker thread,
    for one run's credentials and endpoints. Kept across the clusters the thread reads, so
    each API costs a worker one connection rather than one per cluster. Every call passes its
    own timeout (what is left of that cluster's deadline), so nothing here is per cluster."""

    def __init__(self, credentials, where: dict[str, str | None]) -> None:
        from google.auth.transport.requests import AuthorizedSession
        from google.cloud import container_v1, resourcemanager_v3

        self.credentials = credentials
        self.where = where
        self.container = container_v1.ClusterManagerClient(
            credentials=credentials, transport="rest", client_options=_options(where["container"])
        )
        self.projects = resourcemanager_v3.ProjectsClient(
            credentials=credentials, transport="rest", client_options=_options(where["crm"])
        )
        self.iam = AuthorizedSession(credentials)

    def close(self) -> None:
        for client in (self.container, self.projects):
            client.transport.close()
        self.iam.close()


def thread_clients(credentials, where: dict[str, str | None]) -> GoogleClients:
    """This worker thread's clients, made anew when the credentials or endpoints change."""
    clients = getattr(_local, "clients", None)
    if clients is None or clients.credentials is not credentials or clients.where != where:
        if clients is not None:
            clients.close()
        clients = _local.clients = GoogleClients(credentials, where)
    return clients


def expected_calls(plan) -> int:
    """About how many Google calls `read_cloud` makes for `plan` (to start the longest reads first)."""
    return 2 + len({wi.identity for wi in plan.workload_identities})


def read_cloud(plan, budget, credentials) -> dict[str, Any]:
    """`gcp/cluster.json`, `gcp/project-iam.json` and one `gcp/service-account-iam/<gsa>.json` per GSA."""
    from google.cloud import container_v1
    from google.iam.v1 import iam_policy_pb2, options_pb2
    from google.protobuf.json_format import MessageToDict

    from intent.observe.sources import CollectError

    creds = credentials.get("gke")
    if isinstance(creds, _Unusable):
        raise CollectError(creds.cause)
    where = endpoints()
    cluster_name = f"projects/{plan.cluster.project}/locations/{plan.cluster.location}/clusters/{plan.cluster.name}"

    # Version 3 so that conditional bindings come back whole (gcloud asks for 3 as well).
    project_request = iam_policy_pb2.GetIamPolicyRequest(
        resource=f"projects/{plan.cluster.project}", options=options_pb2.GetPolicyOptions(requested_policy_version=3)
    )

    clients = thread_clients(creds, where)
    # retry=None: the collector's budget owns retries (intent/observe/calls.py).
    cluster = budget.call(
        "gke get_cluster",
        lambda: clients.container.get_cluster(name=cluster_name, retry=None, timeout=budget.timeout()),
    )
    documents: dict[str, Any] = {"gcp/cluster.json": MessageToDict(container_v1.Cluster.pb(cluster))}
    project_policy = budget.call(
        "crm get_iam_policy",
        lambda: clients.projects.get_iam_policy(request=project_request, retry=None, timeout=budget.timeout()),
    )
    documents["gcp/project-iam.json"] = MessageToDict(project_policy)
    for email in sorted({wi.identity for wi in plan.workload_identities}):
        policy = budget.call(
            f"iam get_iam_policy {email}",
            lambda email=email: service_account_policy(clients.iam, where["iam"], email, budget),
        )
        # A service account that does not exist has no policy: its file is absent, and the
        # intended binding shows up as missing (FI-WI-001) rather than as unreadable.
        if policy is not None:
            documents[f"gcp/service-account-iam/{email}.json"] = policy
    return documents


def service_account_policy(session, endpoint: str | None, email: str, budget) -> dict[str, Any] | None:
    """A service account's IAM policy as REST JSON (what gcloud prints), or None if it does not exist.

    google-cloud-iam's `iam_admin_v1.IAMClient` ships gRPC transports only, so this one call goes
    to the documented REST method with the same credentials:
    https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/getIamPolicy
    """
    from google.api_core.exceptions import from_http_response

    # "-" lets IAM find the account in whichever project owns it.
    url = f"{(endpoint or DEFAULT_IAM).rstrip('/')}/v1/projects/-/serviceAccounts/{email}:getIamPolicy"
    response = session.post(url, json={"options": {"requestedPolicyVersion": 3}}, timeout=budget.timeout())
    if response.status_code == 404:
        return None
    if response.status_code >= 400:
        raise from_http_response(response)
    return response.json()
