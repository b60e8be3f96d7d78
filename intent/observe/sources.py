"""Where observed cluster state comes from: a snapshot directory or the live APIs.

A source yields, per cluster, the raw documents of the snapshot layout (SPEC §7), keyed by
their path relative to `DIR/<cluster>/` (e.g. `kubernetes/namespaces.json`,
`gcp/service-account-iam/<email>.json`) and holding the parsed JSON; an optional document
that does not exist (aws-auth on a cluster without it) is simply absent. A cluster that cannot
be read yields a `CollectError` instead, which the check turns into FI-COLLECT-001.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from intent.plan import ClusterPlan

Documents = dict[str, Any]

# The admission documents (SPEC §13), read from snapshots and live only when the intent
# declares `admission:`. The parameters are the ConfigMaps of intent/admission.py's
# SYSTEM_NAMESPACE. A cluster that does not serve the API holds, in place of the policies'
# and bindings' lists, the Kubernetes `Status` a list call got (code 404).
ADMISSION_POLICIES = "kubernetes/validatingadmissionpolicies.json"
ADMISSION_BINDINGS = "kubernetes/validatingadmissionpolicybindings.json"
ADMISSION_PARAMS = "kubernetes/admission-params.json"


class CollectError(Exception):
    """A cluster could not be read; the message is the one-line cause shown in the finding."""


class StateSource(Protocol):
    """Reads clusters' documents; never raises for one cluster's failure."""

    def collect(self, plans: Iterable[ClusterPlan]) -> Iterator[tuple[ClusterPlan, Documents | CollectError]]:
        """Yield each plan with its documents or the error that stopped reading it (any order)."""
        ...
