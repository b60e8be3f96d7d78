"""Reads a cluster's namespaces and service accounts (any provider) into an `ObservedState`."""

from __future__ import annotations

from typing import Any

from intent.observe.observed import ObservedState
from intent.plan import ClusterPlan
from translators import kubernetes_state as k8s


def observe_cluster(plan: ClusterPlan, documents: dict[str, Any]) -> ObservedState:
    """The namespaces (with labels) and service accounts (with annotations) of `plan.name`;
    the provider observers include these parts too."""
    return ObservedState(
        cluster=plan.name,
        provider=plan.provider,
        namespaces=k8s.parse_namespaces(documents),
        service_accounts=k8s.parse_service_accounts(documents),
    )
