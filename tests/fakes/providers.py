"""HTTP-level fakes of the Kubernetes, EKS, GKE/IAM/Resource Manager and ARM APIs.

Each serves the documents of a snapshot-layout directory (`<data>/<cluster>/<path>`) in the
provider's native REST shape, paginates with the provider's own tokens (small pages, so every
test crosses a page boundary), checks that a credential was sent, and raises `Unexpected` for
anything else. See tests/fakes/server.py for fault injection.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

from .server import Request, Response, Unexpected, page

PAGE = 2  # items per page, whatever the client asks for
KUBE_TOKEN = "fake-kube-token"
GOOGLE_TOKEN = "fake-google-token"
ARM_TOKEN = "fake-arm-token"
AWS_KEY_ID = "AKIDFLEETINTENTFAKE"


class Data:
    """The snapshot-layout directory a fake serves."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def clusters(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def get(self, cluster: str, path: str) -> Any:
        file = self.root / cluster / path
        if not file.is_file():
            raise Unexpected(f"no {path} for cluster {cluster!r} in {self.root}")
        return json.loads(file.read_text(encoding="utf-8"))

    def has(self, cluster: str, path: str) -> bool:
        return (self.root / cluster / path).is_file()


def _bearer(request: Request, token: str) -> None:
    if request.headers.get("authorization") != f"Bearer {token}":
        raise Unexpected(f"missing or wrong bearer token: {request.headers.get('authorization')!r}")


# --- Kubernetes -------------------------------------------------------------------------------

KUBE_LISTS = {
    "api/v1/namespaces": ("kubernetes/namespaces.json", "NamespaceList", "v1"),
    "apis/rbac.authorization.k8s.io/v1/rolebindings": (
        "kubernetes/rolebindings.json", "RoleBindingList", "rbac.authorization.k8s.io/v1"),
    "apis/rbac.authorization.k8s.io/v1/clusterrolebindings": (
        "kubernetes/clusterrolebindings.json", "ClusterRoleBindingList", "rbac.authorization.k8s.io/v1"),
    "api/v1/serviceaccounts": ("kubernetes/serviceaccounts.json", "ServiceAccountList", "v1"),
    "apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies": (
        "kubernetes/validatingadmissionpolicies.json", "ValidatingAdmissionPolicyList", "admissionregistration.k8s.io/v1"),
    "apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings": (
        "kubernetes/validatingadmissionpolicybindings.json", "ValidatingAdmissionPolicyBindingList",
        "admissionregistration.k8s.io/v1"),
    "api/v1/namespaces/fleet-intent-system/configmaps": ("kubernetes/admission-params.json", "ConfigMapList", "v1"),
}


def kube_status(status: int, message: str) -> Response:
    reasons = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 429: "TooManyRequests", 503: "ServiceUnavailable"}
    return Response(status, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                             "message": message, "reason": reasons.get(status, "Unknown"), "code": status})


def kube_route(data: Data):
    """Serve `/k/<cluster>/...` as that cluster's API server."""

    def route(request: Request) -> Response:
        if request.method != "GET" or len(request.segments) < 3 or request.segments[0] != "k":
            raise Unexpected("not a modelled Kubernetes read")
        cluster = request.segments[1]
        if cluster not in data.clusters():
            raise Unexpected(f"unknown cluster {cluster!r}")
        if request.headers.get("authorization") != f"Bearer {KUBE_TOKEN}-{cluster}":
            return kube_status(401, "Unauthorized")
        rest = "/".join(request.segments[2:])
        if rest == "api/v1/namespaces/kube-system/configmaps/aws-auth":
            if not data.has(cluster, "kubernetes/aws-auth.json"):
                return kube_status(404, 'configmaps "aws-auth" not found')
            document = dict(data.get(cluster, "kubernetes/aws-auth.json"))
            return Response(200, document)
        if rest not in KUBE_LISTS:
            raise Unexpected(f"unmodelled path {rest!r}")
        path, list_kind, api_version = KUBE_LISTS[rest]
        if rest.endswith("/configmaps") and not data.has(cluster, path):
            # Listing a namespace that holds none (or does not exist) is an empty list.
            return Response(200, {"kind": list_kind, "apiVersion": api_version, "metadata": {}, "items": []})
        served = data.get(cluster, path)
        if served.get("kind") == "Status":  # a cluster that does not serve this API (404)
            return Response(served.get("code", 404), served)
        limit = int(request.arg("limit") or 0)
        if limit <= 0:
            raise Unexpected("list without ?limit= (collection must paginate)")
        items = [{k: v for k, v in item.items() if k not in ("apiVersion", "kind")}
                 for item in served["items"]]
        chunk, token = page(items, request.arg("continue"), min(limit, PAGE))
        metadata: dict[str, Any] = {"resourceVersion": "12345"}
        if token:
            metadata["continue"] = token
        return Response(200, {"kind": list_kind, "apiVersion": api_version, "metadata": metadata, "items": chunk})

    return route


# --- EKS --------------------------------------------------------------------------------------

def eks_error(status: int, message: str) -> Response:
    code = {403: "AccessDeniedException", 404: "ResourceNotFoundException", 429: "ThrottlingException",
            503: "ServiceUnavailableException"}.get(status, "ServerException")
    return Response(status, {"message": message}, {"x-amzn-ErrorType": code})


def eks_route(data: Data):
    """Serve the EKS REST API (botocore eks 2017-11-01 requestUri paths)."""

    def route(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        if not auth.startswith(f"AWS4-HMAC-SHA256 Credential={AWS_KEY_ID}/"):
            raise Unexpected(f"request not signed with the test key: {auth[:60]!r}")
        seg = request.segments
        if request.method != "GET" or len(seg) < 2 or seg[0] != "clusters":
            raise Unexpected("not a modelled EKS read")
        cluster = seg[1]
        if not data.has(cluster, "aws/cluster.json"):
            raise Unexpected(f"no EKS cluster {cluster!r} in the fake")
        if len(seg) == 2:
            return Response(200, data.get(cluster, "aws/cluster.json"))
        if seg[2] == "access-entries" and not data.has(cluster, "aws/access-entries.json"):
            # What EKS answers on a CONFIG_MAP cluster (no access entry API).
            return Response(400, {"message": "The cluster's authentication mode must be set to one of "
                                  "[API, API_AND_CONFIG_MAP] to perform this operation."},
                            {"x-amzn-ErrorType": "InvalidRequestException"})
        entries = data.get(cluster, "aws/access-entries.json") if seg[2] == "access-entries" else []
        by_arn = {e["accessEntry"]["principalArn"]: e for e in entries}
        size = min(int(request.arg("maxResults") or 100), PAGE)
        if seg[2] == "access-entries" and len(seg) == 3:
            chunk, token = page(list(by_arn), request.arg("nextToken"), size)
            return Response(200, {"accessEntries": chunk, **({"nextToken": token} if token else {})})
        if seg[2] == "access-entries" and len(seg) in (4, 5):
            entry = by_arn.get(seg[3])
            if entry is None:
                raise Unexpected(f"no access entry {seg[3]!r}")
            if len(seg) == 4:
                return Response(200, {"accessEntry": entry["accessEntry"]})
            if seg[4] != "access-policies":
                raise Unexpected("unmodelled access-entry path")
            chunk, token = page(entry["associatedAccessPolicies"], request.arg("nextToken"), size)
            body = {"clusterName": cluster, "principalArn": seg[3], "associatedAccessPolicies": chunk}
            return Response(200, {**body, **({"nextToken": token} if token else {})})
        if seg[2] == "pod-identity-associations":
            associations = data.get(cluster, "aws/pod-identity-associations.json")
            if len(seg) == 3:
                summaries = [{k: a[k] for k in ("clusterName", "namespace", "serviceAccount", "associationArn",
                                                 "associationId") if k in a} for a in associations]
                chunk, token = page(summaries, request.arg("nextToken"), size)
                return Response(200, {"associations": chunk, **({"nextToken": token} if token else {})})
            for association in associations:
                if association["associationId"] == seg[3]:
                    return Response(200, {"association": association})
            raise Unexpected(f"no pod identity association {seg[3]!r}")
        raise Unexpected("unmodelled EKS path")

    return route


# --- GKE, IAM, Resource Manager -----------------------------------------------------------------

def google_error(status: int, message: str) -> Response:
    names = {403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}
    return Response(status, {"error": {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}})


def google_route(data: Data, absent_service_accounts: frozenset[str] = frozenset()):
    """Serve container v1 get_cluster, CRM v3 projects:getIamPolicy and IAM v1 serviceAccounts:getIamPolicy.

    `absent_service_accounts` answer 404 (deleted accounts); any other unknown account is unexpected.
    """

    def gke_clusters() -> dict[str, str]:
        return {c: c for c in data.clusters() if data.has(c, "gcp/cluster.json")}

    def route(request: Request) -> Response:
        _bearer(request, GOOGLE_TOKEN)
        path = request.path
        match = re.fullmatch(r"/v1/projects/([^/]+)/locations/([^/]+)/clusters/([^/:]+)", path)
        if match and request.method == "GET":
            project, location, name = match.groups()
            if name not in gke_clusters():
                raise Unexpected(f"no GKE cluster {name!r}")
            document = data.get(name, "gcp/cluster.json")
            if document.get("location") != location or project not in document.get("selfLink", project):
                raise Unexpected(f"cluster {name!r} is not in {project}/{location}")
            return Response(200, document)
        match = re.fullmatch(r"/v3/projects/([^/:]+):getIamPolicy", path)
        if match and request.method == "POST":
            if (request.json().get("options") or {}).get("requestedPolicyVersion") != 3:
                raise Unexpected("getIamPolicy without options.requestedPolicyVersion=3")
            for cluster in gke_clusters():
                if f"/projects/{match[1]}/" in data.get(cluster, "gcp/cluster.json").get("selfLink", ""):
                    return Response(200, data.get(cluster, "gcp/project-iam.json"))
            raise Unexpected(f"no project {match[1]!r}")
        match = re.fullmatch(r"/v1/projects/([^/]+)/serviceAccounts/([^/:]+):getIamPolicy", path)
        if match and request.method == "POST":
            email = match[2]
            if (request.json().get("options") or {}).get("requestedPolicyVersion") != 3:
                raise Unexpected("getIamPolicy without options.requestedPolicyVersion=3")
            for cluster in gke_clusters():
                if data.has(cluster, f"gcp/service-account-iam/{email}.json"):
                    return Response(200, data.get(cluster, f"gcp/service-account-iam/{email}.json"))
            if email in absent_service_accounts:
                return google_error(404, f"Service account projects/-/serviceAccounts/{email} not found.")
            raise Unexpected(f"no service account {email!r}")
        raise Unexpected("unmodelled Google API path")

    return route


# --- Azure Resource Manager ---------------------------------------------------------------------

ARM_ENVELOPE = {"id", "name", "type", "location", "tags", "sku", "identity", "extendedLocation", "kind",
                "eTag", "systemData", "zones"}
# Attributes whose ARM REST spelling differs from az's (az camel-cases the SDK's snake_case names).
ARM_SPELLING = {"enableAzureRbac": "enableAzureRBAC", "tenantId": "tenantID", "issuerUrl": "issuerURL",
                "clientAppId": "clientAppID", "serverAppId": "serverAppID", "enableRbac": "enableRBAC"}
AZ_ONLY = {"resourceGroup", "principalName", "roleDefinitionName"}  # az adds these itself


def _respell(value: Any) -> Any:
    if isinstance(value, dict):
        return {ARM_SPELLING.get(k, k): _respell(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_respell(v) for v in value]
    return value


_AZ_SPELLING = {rest: az for az, rest in ARM_SPELLING.items()}
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _az_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {_AZ_SPELLING.get(k, k): _az_values(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_az_values(v) for v in value]
    if isinstance(value, str) and _TIMESTAMP.match(value):
        import datetime as dt

        whole, _, fraction = value.rstrip("Z").partition(".")
        zone = "+00:00" if value.endswith("Z") else ""
        if fraction and not value.endswith("Z"):
            fraction, zone = fraction[:-6], fraction[-6:]
        moment = dt.datetime.fromisoformat(whole + zone)
        return moment.replace(microsecond=int((fraction or "0")[:6].ljust(6, "0"))).isoformat()
    return value


def az_form(document: dict[str, Any]) -> dict[str, Any]:
    """A resource in `az`'s spelling whichever spelling it is stored in, for comparing meaning:
    `properties` flattened, az attribute names, nulls and az's own lookups dropped, timestamps
    in one format, `resourceGroup` from the id."""
    flat = {k: v for k, v in document.items() if k != "properties"}
    flat.update(document.get("properties") or {})
    flat = _az_values({k: v for k, v in flat.items() if k not in AZ_ONLY})
    group = re.search(r"/resourceGroups/([^/]+)", str(flat.get("id", "")), re.IGNORECASE)
    if group:
        flat["resourceGroup"] = group[1]
    return flat


def arm_body(document: dict[str, Any]) -> dict[str, Any]:
    """The ARM REST body of a resource stored as `az` prints it (or already as REST)."""
    if "properties" in document:
        return document
    body = {k: v for k, v in document.items() if k in ARM_ENVELOPE and v is not None}
    body["properties"] = _respell({k: v for k, v in document.items() if k not in ARM_ENVELOPE | AZ_ONLY})
    return body


def arm_error(status: int, message: str) -> Response:
    codes = {401: "InvalidAuthenticationToken", 403: "AuthorizationFailed", 404: "ResourceNotFound",
             429: "TooManyRequests", 503: "ServiceUnavailable"}
    return Response(status, {"error": {"code": codes.get(status, "InternalServerError"), "message": message}})


def arm_route(data: Data, base_url: Callable[[], str]):
    """Serve managedClusters GET, roleAssignments list-for-scope and federatedIdentityCredentials list."""

    def aks_clusters() -> dict[str, str]:
        return {data.get(c, "azure/cluster.json")["id"].lower(): c for c in data.clusters()
                if data.has(c, "azure/cluster.json")}

    def listing(items: list[Any], request: Request, token_name: str) -> Response:
        if not request.arg("api-version"):
            raise Unexpected("ARM request without api-version")
        chunk, token = page(items, request.arg(token_name), PAGE)
        body: dict[str, Any] = {"value": chunk}
        if token:
            body["nextLink"] = f"{base_url()}{request.path}?api-version={request.arg('api-version')}&{token_name}={token}"
        return Response(200, body)

    def route(request: Request) -> Response:
        _bearer(request, ARM_TOKEN)
        if request.method != "GET":
            raise Unexpected("not a modelled ARM read")
        path = request.path.lower()
        clusters = aks_clusters()
        if path in clusters:
            if not request.arg("api-version"):
                raise Unexpected("ARM request without api-version")
            return Response(200, arm_body(data.get(clusters[path], "azure/cluster.json")))
        suffix = "/providers/microsoft.authorization/roleassignments"
        if path.endswith(suffix) and path[: -len(suffix)] in clusters:
            if request.arg("$filter") is not None:
                raise Unexpected("role assignments listed with a $filter (would hide namespace scopes)")
            assignments = data.get(clusters[path[: -len(suffix)]], "azure/role-assignments.json")
            return listing([arm_body(a) for a in assignments], request, "$skipToken")
        suffix = "/federatedidentitycredentials"
        if path.endswith(suffix) and "/userassignedidentities/" in path:
            identity = path[: -len(suffix)]
            found: dict[str, Any] = {}
            for cluster in clusters.values():
                if not data.has(cluster, "azure/federated-credentials.json"):
                    continue
                for credential in data.get(cluster, "azure/federated-credentials.json"):
                    if credential["id"].lower().startswith(identity + "/federatedidentitycredentials/"):
                        found[credential["id"].lower()] = arm_body(credential)
            if not found:
                raise Unexpected(f"no federated credentials for {identity!r}")
            return listing(sorted(found.values(), key=lambda c: c["id"]), request, "$skiptoken")
        raise Unexpected("unmodelled ARM path")

    return route
