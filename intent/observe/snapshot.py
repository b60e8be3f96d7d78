"""`SnapshotDirSource`: reads the snapshot layout of SPEC §7 from a directory.

Each cluster's documents come from `DIR/<cluster>/`; a missing cluster directory, a missing
required file, or a document that cannot be read or parsed within the bounds of
intent/safeio.py (regular files only, 64 MiB a file, 256 MiB a cluster, JSON nested at most
100 deep) makes that cluster unreadable (a `CollectError` naming the file), never the whole
run. An optional document (aws-auth, a GSA policy) is absent only when its path has no
directory entry at all: a directory, FIFO, dangling link or malformed file there is an error.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator

from intent.plan import ClusterPlan
from intent.progress import MIN_CLUSTERS, progress_bar
from intent.safeio import InputFileError, describe_size, file_kind, parse_json_bounded, read_regular_file
from intent.observe.sources import ADMISSION_BINDINGS, ADMISSION_PARAMS, ADMISSION_POLICIES, CollectError, Documents

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
    # Access entries are required where the intent expects them; on a cluster the intent still
    # calls CONFIG_MAP they are read when present: it may already run API_AND_CONFIG_MAP (half
    # way through a migration), and the live reader reads them then too.
    "eks": ("kubernetes/aws-auth.json", "aws/access-entries.json"),
    "gke": (),
    "aks": (),
}
GSA_DIR = "gcp/service-account-iam"
MAX_FILE_BYTES = 64 * 1024 * 1024
# All the documents of one cluster: bounds what a directory of many GSA policies can hold.
MAX_CLUSTER_BYTES = 256 * 1024 * 1024


def required_documents(plan: ClusterPlan) -> tuple[str, ...]:
    """The documents a cluster's snapshot must hold."""
    files = KUBERNETES + REQUIRED[plan.provider]
    # A CONFIG_MAP cluster has the access entry API disabled: there is nothing to list.
    if plan.provider == "eks" and plan.cluster.authentication_mode != "CONFIG_MAP":
        files += ("aws/access-entries.json",)
    if plan.admission_mode:
        files += (ADMISSION_POLICIES, ADMISSION_BINDINGS)
    return files


def optional_documents(plan: ClusterPlan) -> tuple[str, ...]:
    """The documents a cluster's snapshot may hold. Without the admission parameters' document
    the parameter ConfigMaps count as missing (FI-ADM-002), which is what they are on a
    cluster where `kubectl -n fleet-intent-system get configmaps` finds none."""
    return OPTIONAL[plan.provider] + ((ADMISSION_PARAMS,) if plan.admission_mode else ())


def exists(path: str) -> bool:
    """True when `path` has a directory entry of any kind (a dangling symlink, a FIFO...).

    Only a path with no entry at all is an absent optional document: anything else there is
    read, and refused if it is not a readable regular file.
    """
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CollectError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return True


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
        budget = _Budget(plan.name)
        for rel in required_documents(plan):
            path = os.path.join(root, rel)
            if not exists(path):
                raise CollectError(f"{path}: missing from the snapshot")
            docs[rel] = budget.read(path)
        for rel in optional_documents(plan):
            path = os.path.join(root, rel)
            if rel not in docs and exists(path):
                docs[rel] = budget.read(path)
        gsa_dir = os.path.join(root, GSA_DIR)
        if plan.provider == "gke" and exists(gsa_dir):
            for name in _list_directory(gsa_dir):
                if name.endswith(".json"):
                    docs[f"{GSA_DIR}/{name}"] = budget.read(os.path.join(gsa_dir, name))
        return docs


def _list_directory(path: str) -> list[str]:
    """Sorted entries of the directory at `path` (symlinks followed); CollectError otherwise."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISDIR(mode):
            raise CollectError(f"{path}: is {file_kind(mode)}, not a directory")
        return sorted(os.listdir(path))
    except FileNotFoundError:
        raise CollectError(f"{path}: is a symbolic link to a missing directory") from None
    except OSError as exc:
        raise CollectError(f"{path}: cannot be read ({exc.strerror or exc})") from None


class _Budget:
    """Reads one cluster's documents, refusing more than MAX_CLUSTER_BYTES in all."""

    def __init__(self, cluster: str):
        self.cluster = cluster
        self.used = 0

    def read(self, path: str) -> object:
        try:
            raw = read_regular_file(path, MAX_FILE_BYTES)
            self.used += len(raw)
            if self.used > MAX_CLUSTER_BYTES:
                raise CollectError(
                    f"{path}: the snapshot of {self.cluster} holds more than {describe_size(MAX_CLUSTER_BYTES)} of documents"
                )
            return parse_json_bounded(raw, path)
        except InputFileError as exc:
            raise CollectError(str(exc)) from None
