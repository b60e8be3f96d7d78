"""A stateful fake of the EKS access-entry and pod-identity API, plus STS GetCallerIdentity.

Unlike tests/fakes/providers.py (which serves a fixed snapshot read-only), this fake keeps one
store that both writers and readers share: the real Terraform AWS provider creates, reads,
updates and deletes through it, and fleet-intent's live reader (boto3 with
`AWS_ENDPOINT_URL_EKS`) reads the same objects back. Tests change the store directly to make
drift "behind Terraform's back".

Sources of the behaviour modelled here:

- Operations, HTTP methods, request URIs, member names and error HTTP statuses are those of
  botocore's model `botocore/data/eks/2017-11-01/service-2.json` (the copy installed with the
  project): e.g. CreateAccessEntry `POST /clusters/{name}/access-entries`,
  DisassociateAccessPolicy `DELETE /clusters/{name}/access-entries/{principalArn}/access-policies/{policyArn}`,
  ResourceInUseException 409, ResourceNotFoundException 404, InvalidParameterException and
  InvalidRequestException 400. The protocol is rest-json: an error names its type in the
  `x-amzn-ErrorType` header and carries `message` in the body; timestamps are epoch seconds
  (the JSON protocols' default timestamp format, which the provider's Go SDK requires).
- Which calls the provider makes, and what it expects back, is read from
  hashicorp/terraform-provider-aws `internal/service/eks/access_entry.go` (Create, then
  DescribeAccessEntry; Update sends kubernetesGroups and username; Delete tolerates 404),
  `access_policy_association.go` (AssociateAccessPolicy, retried while the message contains
  "The specified principalArn could not be found"; read = ListAssociatedAccessPolicies,
  paginated, filtered by policy ARN; DisassociateAccessPolicy) and
  `pod_identity_association.go` (CreatePodIdentityAssociation then
  DescribePodIdentityAssociation by cluster and association id).
- Re-associating a policy that is already associated changes its scope (one association per
  entry and policy): EKS user guide, "Associate access policies with access entries".
- The default username of a STANDARD entry (role: `arn:<partition>:sts::<account>:assumed-role/<name>/{{SessionName}}`
  with the role's path removed; user: the user ARN): EKS user guide, "Create access entries"
  (also /work/shared/REFERENCE.md §2.2).
- STS is the Query protocol (`POST /`, form body `Action=GetCallerIdentity&Version=2011-06-15`,
  XML answer `GetCallerIdentityResponse/GetCallerIdentityResult/{Arn,UserId,Account}`):
  botocore `sts/2011-06-15/service-2.json` and the STS API reference for GetCallerIdentity.
  The provider reads the account id from it and compares it with `allowed_account_ids`.

Anything else (an operation, a path, an unsigned request) raises `Unexpected`: the server
answers 404 with a message naming the request (which Terraform prints) and records it, and
the test fixture fails the test, so a missing route fails loudly instead of passing quietly.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from .providers import AWS_KEY_ID
from .server import FakeServer, Request, Response, Unexpected, page

PAGE = 2  # items per page, whatever the client asks for: every list crosses a page boundary
SECRET_KEY = "fake-secret"


class ApiError(Exception):
    """An EKS error as the API answers it (the type name and the HTTP status of service-2.json)."""

    STATUS = {"ResourceNotFoundException": 404, "ResourceInUseException": 409,
              "InvalidParameterException": 400, "InvalidRequestException": 400}

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    def response(self) -> Response:
        return Response(self.STATUS[self.kind], {"message": self.message}, {"x-amzn-ErrorType": self.kind})


def _epoch(value: Any) -> float:
    """A snapshot timestamp (ISO 8601 as the CLI prints it) as epoch seconds (as the API sends it)."""
    if isinstance(value, (int, float)):
        return float(value)
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


@dataclass
class Cluster:
    """One cluster's state: its description and the objects of the access and pod identity APIs."""

    description: dict[str, Any]
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # principal ARN -> AccessEntry
    policies: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # principal -> policy ARN -> association
    associations: dict[str, dict[str, Any]] = field(default_factory=dict)  # association id -> PodIdentityAssociation

    @property
    def name(self) -> str:
        return self.description["name"]

    @property
    def arn_parts(self) -> tuple[str, str, str]:
        """(partition, region, account) from the cluster ARN."""
        _, partition, _, region, account, _ = self.description["arn"].split(":", 5)
        return partition, region, account

    @property
    def mode(self) -> str:
        return (self.description.get("accessConfig") or {}).get("authenticationMode", "CONFIG_MAP")


class EksApi:
    """The store and its operations; `route` and `sts_route` serve it over HTTP."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id  # what STS says the caller's account is
        self.clusters: dict[str, Cluster] = {}
        self.calls: list[str] = []  # operation names in the order served
        self._lock = threading.Lock()

    # --- seeding and direct changes (the "behind Terraform's back" side) ----------------------

    def seed_from_snapshot(self, snapshot: Path, cluster: str) -> Cluster:
        """Add `cluster` as the snapshot describes it, with only the access entries EKS itself
        makes (types other than STANDARD, e.g. the EC2_LINUX node role entry): what a cluster
        holds before anyone applies the generated root."""
        described = json.loads((snapshot / cluster / "aws" / "cluster.json").read_text(encoding="utf-8"))["cluster"]
        described = dict(described, createdAt=_epoch(described["createdAt"]))
        state = Cluster(described)
        entries_file = snapshot / cluster / "aws" / "access-entries.json"
        if entries_file.is_file():
            for item in json.loads(entries_file.read_text(encoding="utf-8")):
                entry = item["accessEntry"]
                if entry.get("type") != "STANDARD":
                    entry = dict(entry, createdAt=_epoch(entry["createdAt"]), modifiedAt=_epoch(entry["modifiedAt"]))
                    state.entries[entry["principalArn"]] = entry
                    state.policies[entry["principalArn"]] = {}
        with self._lock:
            self.clusters[cluster] = state
        return state

    def associate(self, cluster: str, principal: str, policy_arn: str, scope: dict[str, Any]) -> dict[str, Any]:
        """AssociateAccessPolicy: a new association, or a new scope for an existing one."""
        with self._lock:
            return self._associate(self._cluster(cluster), principal, policy_arn, scope)

    def create_access_entry(self, cluster: str, principal: str, **fields: Any) -> dict[str, Any]:
        """CreateAccessEntry, as someone did before fleet-intent (`aws eks create-access-entry`)."""
        with self._lock:
            return self._create_entry(self._cluster(cluster), {"principalArn": principal, **fields})

    def create_pod_identity(self, cluster: str, namespace: str, service_account: str, role_arn: str) -> dict[str, Any]:
        """CreatePodIdentityAssociation, as someone did before fleet-intent."""
        with self._lock:
            return self._create_pod_identity(
                self._cluster(cluster), {"namespace": namespace, "serviceAccount": service_account, "roleArn": role_arn})

    def delete_pod_identity(self, cluster: str, namespace: str, service_account: str) -> None:
        """Delete the association of (namespace, service account), as `aws eks delete-pod-identity-association` would."""
        with self._lock:
            state = self._cluster(cluster)
            for association_id, association in list(state.associations.items()):
                if (association["namespace"], association["serviceAccount"]) == (namespace, service_account):
                    del state.associations[association_id]
                    return
        raise KeyError(f"no pod identity association for {namespace}/{service_account} on {cluster}")

    # --- the operations ------------------------------------------------------------------------

    def _cluster(self, name: str) -> Cluster:
        state = self.clusters.get(name)
        if state is None:
            raise ApiError("ResourceNotFoundException", f"No cluster found for name: {name}.")
        return state

    @staticmethod
    def _access_api(state: Cluster) -> None:
        if state.mode == "CONFIG_MAP":
            # What EKS answers on a cluster without the access entry API (same text as providers.py).
            raise ApiError("InvalidRequestException", "The cluster's authentication mode must be set to one of "
                           "[API, API_AND_CONFIG_MAP] to perform this operation.")

    def _entry(self, state: Cluster, principal: str) -> dict[str, Any]:
        self._access_api(state)
        entry = state.entries.get(principal)
        if entry is None:
            # The provider retries AssociateAccessPolicy on exactly this text (access_policy_association.go).
            raise ApiError("ResourceNotFoundException", "The specified principalArn could not be found. "
                           "You can view your available access entries with 'list-access-entries'.")
        return entry

    def _create_entry(self, state: Cluster, body: dict[str, Any]) -> dict[str, Any]:
        self._access_api(state)
        principal = body.get("principalArn") or ""
        match = re.fullmatch(r"arn:([\w-]+):iam::(\d{12}):(role|user)/(?:[^/]+/)*([^/]+)", principal)
        if match is None:
            raise ApiError("InvalidParameterException", f"The specified principalArn is invalid: invalid principal {principal}")
        if principal in state.entries:
            raise ApiError("ResourceInUseException", "The specified access entry resource is already in use on this cluster.")
        partition, account, kind, name = match.groups()
        default_username = (f"arn:{partition}:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}"
                            if kind == "role" else principal)
        c_partition, region, c_account = state.arn_parts
        now = time.time()
        entry = {
            "clusterName": state.name,
            "principalArn": principal,
            "kubernetesGroups": list(body.get("kubernetesGroups") or []),
            "accessEntryArn": (f"arn:{c_partition}:eks:{region}:{c_account}:access-entry/{state.name}/{kind}/"
                               f"{account}/{name}/{secrets.token_hex(4)}"),
            "createdAt": now,
            "modifiedAt": now,
            "tags": dict(body.get("tags") or {}),
            "username": body.get("username") or default_username,
            "type": body.get("type") or "STANDARD",
        }
        state.entries[principal] = entry
        state.policies[principal] = {}
        return entry

    def _associate(self, state: Cluster, principal: str, policy_arn: str, scope: dict[str, Any]) -> dict[str, Any]:
        self._entry(state, principal)
        if not re.fullmatch(r"arn:[\w-]+:eks::aws:cluster-access-policy/\w+", policy_arn or ""):
            raise ApiError("InvalidParameterException", f"The specified policyArn is invalid: {policy_arn}")
        kind, namespaces = scope.get("type"), list(scope.get("namespaces") or [])
        if kind not in ("cluster", "namespace") or (kind == "namespace") != bool(namespaces):
            raise ApiError("InvalidParameterException", f"The specified accessScope is invalid: {scope}")
        now = time.time()
        existing = state.policies[principal].get(policy_arn)
        association = {
            "policyArn": policy_arn,
            "accessScope": {"type": kind, "namespaces": namespaces},
            "associatedAt": existing["associatedAt"] if existing else now,
            "modifiedAt": now,
        }
        state.policies[principal][policy_arn] = association
        return association

    def _create_pod_identity(self, state: Cluster, body: dict[str, Any]) -> dict[str, Any]:
        for key in ("namespace", "serviceAccount", "roleArn"):
            if not body.get(key):
                raise ApiError("InvalidParameterException", f"{key} is required")
        for association in state.associations.values():
            if (association["namespace"], association["serviceAccount"]) == (body["namespace"], body["serviceAccount"]):
                raise ApiError("ResourceInUseException", "Association already exists: " + association["associationArn"])
        partition, region, account = state.arn_parts
        association_id = "a-" + "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(17))
        now = time.time()
        association = {
            "clusterName": state.name,
            "namespace": body["namespace"],
            "serviceAccount": body["serviceAccount"],
            "roleArn": body["roleArn"],
            "associationArn": f"arn:{partition}:eks:{region}:{account}:podidentityassociation/{state.name}/{association_id}",
            "associationId": association_id,
            "tags": dict(body.get("tags") or {}),
            "createdAt": now,
            "modifiedAt": now,
            "disableSessionTags": bool(body.get("disableSessionTags", False)),
            "externalId": str(uuid.uuid4()),
        }
        if body.get("targetRoleArn"):
            association["targetRoleArn"] = body["targetRoleArn"]
        state.associations[association_id] = association
        return association

    def _pod_identity(self, state: Cluster, association_id: str) -> dict[str, Any]:
        association = state.associations.get(association_id)
        if association is None:
            raise ApiError("ResourceNotFoundException", f"No Pod Identity Association found with id {association_id}.")
        return association

    # --- HTTP ------------------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        """The EKS REST-JSON API (paths of service-2.json's requestUri)."""
        auth = request.headers.get("authorization", "")
        if not auth.startswith(f"AWS4-HMAC-SHA256 Credential={AWS_KEY_ID}/"):
            raise Unexpected(f"request not signed with the test key: {auth[:60]!r}")
        seg, method = request.segments, request.method
        if len(seg) < 2 or seg[0] != "clusters":
            raise Unexpected("not a modelled EKS operation")
        try:
            with self._lock:
                operation, body = self._dispatch(method, seg, request)
                self.calls.append(operation)
                return Response(200, copy.deepcopy(body))
        except ApiError as exc:
            return exc.response()

    def _dispatch(self, method: str, seg: list[str], request: Request) -> tuple[str, dict[str, Any]]:
        state = self._cluster(seg[1])
        rest, size = seg[2:], min(int(request.arg("maxResults") or 100), PAGE)
        if not rest and method == "GET":
            return "DescribeCluster", {"cluster": state.description}
        if rest[:1] == ["access-entries"]:
            if len(rest) == 1 and method == "POST":
                return "CreateAccessEntry", {"accessEntry": self._create_entry(state, request.json())}
            if len(rest) == 1 and method == "GET":
                self._access_api(state)
                wanted = request.arg("associatedPolicyArn")
                principals = [p for p in state.entries if wanted is None or wanted in state.policies[p]]
                chunk, token = page(principals, request.arg("nextToken"), size)
                return "ListAccessEntries", {"accessEntries": chunk, **({"nextToken": token} if token else {})}
            principal = rest[1]
            if len(rest) == 2:
                entry = self._entry(state, principal)
                if method == "GET":
                    return "DescribeAccessEntry", {"accessEntry": entry}
                if method == "POST":
                    body = request.json()
                    if "kubernetesGroups" in body:
                        entry["kubernetesGroups"] = list(body["kubernetesGroups"] or [])
                    if body.get("username"):
                        entry["username"] = body["username"]
                    entry["modifiedAt"] = time.time()
                    return "UpdateAccessEntry", {"accessEntry": entry}
                if method == "DELETE":
                    del state.entries[principal], state.policies[principal]
                    return "DeleteAccessEntry", {}
            if len(rest) == 3 and rest[2] == "access-policies":
                if method == "POST":
                    body = request.json()
                    association = self._associate(state, principal, body.get("policyArn", ""), body.get("accessScope") or {})
                    return "AssociateAccessPolicy", {"clusterName": state.name, "principalArn": principal,
                                                     "associatedAccessPolicy": association}
                if method == "GET":
                    self._entry(state, principal)
                    chunk, token = page(list(state.policies[principal].values()), request.arg("nextToken"), size)
                    return "ListAssociatedAccessPolicies", {"clusterName": state.name, "principalArn": principal,
                                                            "associatedAccessPolicies": chunk,
                                                            **({"nextToken": token} if token else {})}
            if len(rest) == 4 and rest[2] == "access-policies" and method == "DELETE":
                self._entry(state, principal)
                if state.policies[principal].pop(rest[3], None) is None:
                    raise ApiError("ResourceNotFoundException", f"The specified policy {rest[3]} is not associated "
                                   f"with the access entry {principal}.")
                return "DisassociateAccessPolicy", {}
        if rest[:1] == ["pod-identity-associations"]:
            if len(rest) == 1 and method == "POST":
                return "CreatePodIdentityAssociation", {"association": self._create_pod_identity(state, request.json())}
            if len(rest) == 1 and method == "GET":
                namespace, service_account = request.arg("namespace"), request.arg("serviceAccount")
                summaries = [{k: a[k] for k in ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId")}
                             for a in state.associations.values()
                             if namespace in (None, a["namespace"]) and service_account in (None, a["serviceAccount"])]
                chunk, token = page(summaries, request.arg("nextToken"), size)
                return "ListPodIdentityAssociations", {"associations": chunk, **({"nextToken": token} if token else {})}
            if len(rest) == 2:
                association = self._pod_identity(state, rest[1])
                if method == "GET":
                    return "DescribePodIdentityAssociation", {"association": association}
                if method == "POST":
                    body = request.json()
                    for key in ("roleArn", "disableSessionTags", "targetRoleArn"):
                        if key in body:
                            association[key] = body[key]
                    association["modifiedAt"] = time.time()
                    return "UpdatePodIdentityAssociation", {"association": association}
                if method == "DELETE":
                    del state.associations[rest[1]]
                    return "DeletePodIdentityAssociation", {"association": association}
        raise Unexpected(f"unmodelled EKS operation {method} /{'/'.join(seg)}")

    def sts_route(self, request: Request) -> Response:
        """STS GetCallerIdentity (Query protocol), answering with the store's account id."""
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        if request.method != "POST" or request.path != "/" or form.get("Action") != "GetCallerIdentity":
            raise Unexpected(f"unmodelled STS call {request.method} {request.path} Action={form.get('Action')!r}")
        if not request.headers.get("authorization", "").startswith(f"AWS4-HMAC-SHA256 Credential={AWS_KEY_ID}/"):
            raise Unexpected("STS request not signed with the test key")
        with self._lock:
            self.calls.append("GetCallerIdentity")
        account = escape(self.account_id)
        xml = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<GetCallerIdentityResult>"
            f"<Arn>arn:aws:iam::{account}:user/fleet-intent-test</Arn>"
            "<UserId>AIDAFLEETINTENTTEST0</UserId>"
            f"<Account>{account}</Account>"
            "</GetCallerIdentityResult>"
            "<ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>"
        )
        return Response(200, xml.encode(), {"Content-Type": "text/xml"})


def _sts_error(status: int, message: str) -> Response:
    xml = (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
           f"<Code>InvalidAction</Code><Message>{escape(message)}</Message></Error><RequestId>0</RequestId></ErrorResponse>")
    return Response(status, xml.encode(), {"Content-Type": "text/xml"})


def _eks_error(status: int, message: str) -> Response:
    code = {404: "ResourceNotFoundException", 409: "ResourceInUseException"}.get(status, "ServerException")
    return Response(status, {"message": message}, {"x-amzn-ErrorType": code})


@dataclass
class RunningEksApi:
    """The store and the two servers that serve it."""

    api: EksApi
    eks: FakeServer
    sts: FakeServer

    def unexpected(self) -> list[str]:
        return self.eks.unexpected + self.sts.unexpected


@contextmanager
def serve_eks_api(api: EksApi) -> Iterator[RunningEksApi]:
    """Serve `api` on two local ports (EKS, STS); on exit, stop them and fail on any unexpected request."""
    eks = FakeServer("eks-api", api.route, _eks_error).start()
    sts = FakeServer("sts", api.sts_route, _sts_error).start()
    running = RunningEksApi(api, eks, sts)
    try:
        yield running
    finally:
        eks.stop()
        sts.stop()
    assert not running.unexpected(), "the EKS/STS fake saw requests it does not model:\n" + "\n".join(running.unexpected())
