"""`SnapshotDirSource`: reads the snapshot layout of SPEC §7 from a directory.

Each cluster's documents come from `DIR/<cluster>/`; a missing cluster directory, a missing
required file or a file that is not JSON makes that cluster unreadable (a `CollectError`
naming the file), never the whole run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator

from .plan import ClusterPlan
from .progress import MIN_CLUSTERS, progress_bar
from .sources import CollectError, Documents

KUBERNETES = (
    "kubernetes/namespaces.json",
    "kubernetes/rolebindings.json",
    "kubernetes/clusterrolebindings.json",
    "kubernetes/serviceaccounts.json",
)
REQUIRED = {
    "eks": ("aws/cluster.json", "aws/pod-identity-associations.json"),
    "gke": ("gcp/cluster.json", "gcp/project-iam.json"),
    "aks": ("azure/cluster.json", "azure/role-assignments.json", "azure/federated-credentials.json"),
}
OPTIONAL = {
    "eks": ("kubernetes/aws-auth.json",),
    "gke": (),
    "aks": (),
}
GSA_DIR = "gcp/service-account-iam"
MAX_FILE_BYTES = 64 * 1024 * 1024


def required_documents(plan: ClusterPlan) -> tuple[str, ...]:
    """The documents a cluster's snapshot must hold."""
    files = KUBERNETES + REQUIRED[plan.provider]
    # A CONFIG_MAP cluster has the access entry API disabled: there is nothing to list.
    if plan.provider == "eks" and plan.cluster.authentication_mode != "CONFIG_MAP":
        files += ("aws/access-entries.json",)
    return files


def read_json(path: str, shown: str) -> object:
    """Parsed JSON at `path`; CollectError naming `shown` when it cannot be read or parsed."""
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise CollectError(f"{shown}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise CollectError(f"{shown}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except UnicodeDecodeError:
        raise CollectError(f"{shown}: not UTF-8 text") from None
    except OSError as exc:
        raise CollectError(f"{shown}: cannot be read ({exc.strerror or exc})") from None


class SnapshotDirSource:
    """A `StateSource` over a snapshot directory (`DIR/<cluster>/...`)."""

    def __init__(self, directory: str, progress: bool = False):
        self.directory = directory
        self.progress = progress

    def collect(self, plans: Iterable[ClusterPlan]) -> Iterator[tuple[ClusterPlan, Documents | CollectError]]:
        """Yield each plan with its documents or the CollectError that stopped reading it."""
        plans = list(plans)
        with progress_bar(self.progress and len(plans) >= MIN_CLUSTERS, len(plans), "checking") as advance:
            for plan in plans:
                try:
                    yield plan, self.read_cluster(plan)
                except CollectError as exc:
                    yield plan, exc
                advance(plan.name)

    def read_cluster(self, plan: ClusterPlan) -> Documents:
        """The documents of one cluster (raises CollectError)."""
        root = os.path.join(self.directory, plan.name)
        if not os.path.isdir(root):
            raise CollectError(f"{root}: no snapshot directory for cluster {plan.name}")
        docs: Documents = {}
        for rel in required_documents(plan):
            path = os.path.join(root, rel)
            if not os.path.isfile(path):
                raise CollectError(f"{path}: missing from the snapshot")
            docs[rel] = read_json(path, path)
        for rel in OPTIONAL[plan.provider]:
            path = os.path.join(root, rel)
            if os.path.isfile(path):
                docs[rel] = read_json(path, path)
        gsa_dir = os.path.join(root, GSA_DIR)
        if plan.provider == "gke" and os.path.isdir(gsa_dir):
            for name in sorted(os.listdir(gsa_dir)):
                if name.endswith(".json"):
                    docs[f"{GSA_DIR}/{name}"] = read_json(os.path.join(gsa_dir, name), os.path.join(gsa_dir, name))
        return docs
