"""AKS live reads: the `azure/*.json` documents of one cluster through the azure-mgmt clients.

Documents are spelled as `az` prints them (`az aks show`, `az role assignment list`,
`az identity federated-credential list`): `properties` merged into the top level, attribute
names camel-cased from the SDK's (`enableAzureRbac`, `issuerUrl`), a `resourceGroup` taken from
the id; unset attributes are left out rather than printed as null.

Endpoint: `FLEET_INTENT_ARM_ENDPOINT` (sovereign clouds, private endpoints, tests); the token
audience follows it (`<endpoint>/.default`), as ARM's does in each national cloud.
Credentials: `FLEET_INTENT_ARM_ACCESS_TOKEN` (a bearer token, e.g. from
`az account get-access-token`) when set, else `DefaultAzureCredential`. ARM is only ever reached
over TLS: azure-core refuses to send a bearer token over plain http.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from typing import Any

DEFAULT_ARM = "https://management.azure.com"
# /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>
_UAMI = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.ManagedIdentity/userAssignedIdentities/(?P<name>[^/]+)$",
    re.IGNORECASE,
)
_local = threading.local()


class StaticTokenCredential:
    """An azure-core TokenCredential that returns one bearer token (valid for an hour)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any):
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)


def import_sdk() -> None:
    """Import the azure-mgmt clients now, so that their import time is not charged to a cluster's deadline."""
    import azure.mgmt.authorization  # noqa: F401
    import azure.mgmt.containerservice  # noqa: F401
    import azure.mgmt.msi  # noqa: F401


class SharedTokenCredential:
    """A TokenCredential that asks `inner` once per scope and lends the token to every client
    of the run until five minutes before it expires.

    azure-core caches a token per client (in each client's authentication policy) and a read
    makes new clients per cluster; `AzureCliCredential`, which `az login` setups resolve to,
    runs `az account get-access-token` for every token it is asked for.
    """

    REFRESH_MARGIN = 300  # seconds

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._tokens: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any):
        if kwargs.get("claims"):  # a challenge asks for a fresh token
            return self._inner.get_token(*scopes, **kwargs)
        key = (scopes, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        with self._lock:  # one fetch at a time: the others want the same token
            token = self._tokens.get(key)
            if token is None or token.expires_on - self.REFRESH_MARGIN <= time.time():
                token = self._tokens[key] = self._inner.get_token(*scopes, **kwargs)
            return token


def default_credentials():
    """A static token from FLEET_INTENT_ARM_ACCESS_TOKEN, else DefaultAzureCredential, its
    tokens shared by every client of the run."""
    token = os.environ.get("FLEET_INTENT_ARM_ACCESS_TOKEN")
    if token:
        return SharedTokenCredential(StaticTokenCredential(token))
    from azure.identity import DefaultAzureCredential

    return SharedTokenCredential(DefaultAzureCredential())


def client_kwargs() -> dict[str, Any]:
    """Endpoint, token audience, retry settings and transport shared by the three clients."""
    from azure.core.pipeline.transport import RequestsTransport

    base_url = (os.environ.get("FLEET_INTENT_ARM_ENDPOINT") or DEFAULT_ARM).rstrip("/")
    return {
        "base_url": base_url,
        "credential_scopes": [f"{base_url}/.default"],
        # The collector's per-cluster budget owns retries (intent/observe/calls.py).
        "retry_total": 0,
        # Closing a client leaves the session open: it belongs to the worker thread.
        "transport": RequestsTransport(session=_thread_session(), session_owner=False),
    }


def _thread_session():
    """This worker thread's HTTP session. Every ARM call goes to one host, so a worker keeps
    its TLS connection across the clients and clusters it reads instead of a handshake each."""
    session = getattr(_local, "session", None)
    if session is None:
        import requests

        session = _local.session = requests.Session()
    return session


def expected_calls(plan) -> int:
    """About how many ARM calls `read_cloud` makes for `plan` (to start the longest reads first)."""
    return 2 + len({wi.identity_resource for wi in plan.workload_identities if wi.identity_resource})


def read_cloud(plan, budget, credentials) -> dict[str, Any]:
    """`azure/cluster.json`, `azure/role-assignments.json` and `azure/federated-credentials.json`."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.msi import ManagedServiceIdentityClient

    from intent.observe.sources import CollectError

    cluster = plan.cluster
    credential = credentials.get("aks")
    kwargs = client_kwargs()

    def timeouts() -> dict[str, float]:
        left = budget.timeout()
        return {"connection_timeout": left, "read_timeout": left}

    with ContainerServiceClient(credential, cluster.subscription_id, **kwargs) as aks:
        managed = budget.call(
            "aks managed_clusters.get",
            lambda: aks.managed_clusters.get(cluster.resource_group, cluster.name, **timeouts()),
        )
    documents: dict[str, Any] = {"azure/cluster.json": az_json(managed)}

    with AuthorizationManagementClient(credential, cluster.subscription_id, **kwargs) as authorization:
        # No $filter: ARM then returns assignments at, above (inherited) and below (the
        # namespace scopes `<cluster id>/namespaces/<ns>`) the cluster scope.
        # https://learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope
        scope = cluster.resource_id.lstrip("/")
        assignments = budget.call(
            "aks role_assignments.list_for_scope",
            lambda: list(authorization.role_assignments.list_for_scope(scope, **timeouts())),
        )
    documents["azure/role-assignments.json"] = [az_json(a) for a in assignments]

    credentials_found: list[dict[str, Any]] = []
    identities = sorted({wi.identity_resource for wi in plan.workload_identities if wi.identity_resource})
    with contextlib.ExitStack() as clients:
        msi_clients: dict[str, Any] = {}  # one client per subscription
        for identity in identities:
            match = _UAMI.match(identity)
            if match is None:
                raise CollectError(f"aks: {identity!r} is not a user-assigned managed identity resource id")
            msi = msi_clients.get(match["sub"])
            if msi is None:
                msi = msi_clients[match["sub"]] = clients.enter_context(
                    ManagedServiceIdentityClient(credential, match["sub"], **kwargs)
                )

            def list_credentials(msi=msi, match=match) -> list[Any]:
                try:
                    return list(msi.federated_identity_credentials.list(match["rg"], match["name"], **timeouts()))
                except ResourceNotFoundError:
                    # An identity that does not exist has no credentials: the intended ones
                    # show up as missing (FI-WI-001) rather than the cluster as unreadable.
                    return []

            found = budget.call(f"aks federated_identity_credentials.list {match['name']}", list_credentials)
            credentials_found.extend(az_json(f) for f in found)
    documents["azure/federated-credentials.json"] = credentials_found
    return documents


def _camel(name: str) -> str:
    # azure-cli's to_camel_case: admin_group_object_i_ds -> adminGroupObjectIDs
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), re.sub(r"[^a-zA-Z0-9_]", "", name))


def az_json(value: Any, top: bool = True) -> Any:
    """An azure-mgmt model as `az` prints it (see the module docstring)."""
    import datetime as dt
    import enum

    fields = getattr(type(value), "_attr_to_rest_field", None)  # typespec-generated models
    if fields is None and hasattr(value, "_attribute_map"):  # autorest (msrest-style) models
        fields = value._attribute_map
    if fields is not None:
        out: dict[str, Any] = {}
        for attr in fields:
            item = getattr(value, attr, None)
            if item is None:
                continue
            if attr == "properties":
                nested = az_json(item, top=False)
                if isinstance(nested, dict):
                    out.update(nested)
                    continue
            out[_camel(attr)] = az_json(item, top=False)
        if top and isinstance(out.get("id"), str) and "resourceGroup" not in out:
            group = re.search(r"/resourceGroups/([^/]+)", out["id"], re.IGNORECASE)
            if group:
                out["resourceGroup"] = group[1]
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: az_json(v, top=False) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [az_json(v, top=False) for v in value]
    return value
