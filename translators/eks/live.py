"""EKS live reads: the `aws/*.json` documents of one cluster through boto3.

The endpoint is the SDK's own: botocore honours `AWS_ENDPOINT_URL_EKS` (and `AWS_ENDPOINT_URL`)
https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html. Credentials come from
the default chain of one session per run (`AwsSession`). A session is not thread-safe but the
clients it makes are (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/clients.html),
so clients are made under a lock and then used by one worker each. One session also means the
service model and endpoint rules are read from disk once, not once per worker thread.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any


def import_sdk() -> None:
    """Import boto3 now, so that its import time is not charged to a cluster's deadline."""
    import boto3  # noqa: F401
    import botocore.config  # noqa: F401


def default_credentials() -> "AwsSession":
    """The run's boto3 session: AWS credentials come from its default chain."""
    return AwsSession()


class AwsSession:
    """One boto3 Session per run (per process), and the lock its clients are made under."""

    def __init__(self) -> None:
        import boto3

        self._session = boto3.session.Session()
        self._lock = threading.Lock()

    def eks_client(self, region: str, timeout: float):
        """An EKS client for `region` whose calls time out after `timeout` s and are not retried.

        Retries belong to the collector's per-cluster budget (intent/observe/calls.py), so botocore
        makes a single attempt: its own standard/adaptive retries would sleep past the deadline.
        A client per cluster, because botocore fixes the read timeout when the client is made
        and it must be what is left of that cluster's deadline.
        """
        from botocore.config import Config

        config = Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "total_max_attempts": 1},
            user_agent_extra="fleet-intent",
        )
        with self._lock:
            return self._session.client("eks", region_name=region, config=config)


def expected_calls(plan) -> int:
    """About how many calls reading `plan` adds to the Kubernetes lists (to start the longest
    reads first): the aws-auth ConfigMap and the EKS calls."""
    entries = 0
    if plan.cluster.authentication_mode != "CONFIG_MAP":
        entries = 1 + 2 * len({grant.principal for grant in plan.grants})  # list, then 2 per entry
    return 1 + 2 + entries + len(plan.workload_identities)


def read_cloud(plan, budget, credentials) -> dict[str, Any]:
    """`aws/cluster.json`, `aws/access-entries.json` (not on CONFIG_MAP clusters), `aws/pod-identity-associations.json`."""
    name = plan.cluster.name
    try:
        eks = credentials.get("eks").eks_client(plan.cluster.region, budget.timeout())
    except Exception as exc:  # bad region, broken AWS config file
        from intent.observe.calls import describe
        from intent.observe.sources import CollectError

        raise CollectError(f"eks client: {describe(exc)}") from exc

    cluster = budget.call("eks describe_cluster", lambda: eks.describe_cluster(name=name))
    documents: dict[str, Any] = {"aws/cluster.json": plain({"cluster": cluster["cluster"]})}
    mode = (cluster["cluster"].get("accessConfig") or {}).get("authenticationMode", "CONFIG_MAP")
    if mode != "CONFIG_MAP":
        documents["aws/access-entries.json"] = plain(read_access_entries(eks, name, budget))
    elif plan.cluster.authentication_mode != "CONFIG_MAP":
        # The access entry API answers InvalidRequestException on a CONFIG_MAP cluster
        # (https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html): it has no
        # entries. Where the intent expects some, say so with an empty list, so that the check
        # reports the authentication mode drift instead of an incomplete snapshot; where it
        # expects none, the document is absent, as in an auditor's dump of such a cluster.
        documents["aws/access-entries.json"] = []
    summaries = budget.call(
        "eks list_pod_identity_associations",
        lambda: _paginate(eks, "list_pod_identity_associations", "associations", clusterName=name),
    )
    associations = [
        budget.call(
            "eks describe_pod_identity_association",
            lambda: eks.describe_pod_identity_association(
                clusterName=name, associationId=summary["associationId"]
            )["association"],
        )
        for summary in summaries
    ]
    documents["aws/pod-identity-associations.json"] = plain(associations)
    return documents


def read_access_entries(eks, name: str, budget) -> list[dict[str, Any]]:
    """Each access entry with its associated access policies (both lists paginated)."""
    principals = budget.call(
        "eks list_access_entries",
        lambda: _paginate(eks, "list_access_entries", "accessEntries", clusterName=name),
    )
    entries = []
    for arn in principals:
        entry = budget.call(
            "eks describe_access_entry",
            lambda: eks.describe_access_entry(clusterName=name, principalArn=arn)["accessEntry"],
        )
        policies = budget.call(
            "eks list_associated_access_policies",
            lambda: _paginate(
                eks, "list_associated_access_policies", "associatedAccessPolicies", clusterName=name, principalArn=arn
            ),
        )
        entries.append({"accessEntry": entry, "associatedAccessPolicies": policies})
    return entries


def _paginate(client, operation: str, key: str, **params) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**params) for item in page.get(key, [])]


def plain(value: Any) -> Any:
    """boto3 output as the AWS CLI prints it: timestamps as ISO 8601 strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value
