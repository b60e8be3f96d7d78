"""Kubernetes reads for live collection: the `kubernetes/*.json` documents of one cluster.

Lists are read page by page (`limit`/`continue`) and written as `kubectl get ... -o json`
prints them: a `List` whose items carry their own `apiVersion` and `kind`. Items are kept as
the API server sent them (`_preload_content=False`), not round-tripped through the client's
models, which would drop fields the client version does not know and reformat timestamps.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any

from intent.admission import SYSTEM_NAMESPACE
from intent.quoting import clip, quote
from intent.plan import ClusterPlan
from intent.safeio import InputFileError, parse_json_bounded
from intent.observe.sources import ADMISSION_BINDINGS, ADMISSION_PARAMS, ADMISSION_POLICIES, CollectError, Documents
from intent.observe.calls import MAX_CAUSE
from intent.redaction import redact

PAGE_SIZE = 500

# document path -> (API class, list method, item apiVersion, item kind)
LISTS = (
    ("kubernetes/namespaces.json", "CoreV1Api", "list_namespace", "v1", "Namespace"),
    ("kubernetes/rolebindings.json", "RbacAuthorizationV1Api", "list_role_binding_for_all_namespaces",
     "rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("kubernetes/clusterrolebindings.json", "RbacAuthorizationV1Api", "list_cluster_role_binding",
     "rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("kubernetes/serviceaccounts.json", "CoreV1Api", "list_service_account_for_all_namespaces",
     "v1", "ServiceAccount"),
)
AWS_AUTH = "kubernetes/aws-auth.json"
# The admission documents (SPEC §13), read only when the intent declares `admission:`:
# document path -> (API class, list method, item apiVersion, item kind, namespace or None).
ADMISSION_LISTS = (
    (ADMISSION_POLICIES, "AdmissionregistrationV1Api", "list_validating_admission_policy",
     "admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", None),
    (ADMISSION_BINDINGS, "AdmissionregistrationV1Api", "list_validating_admission_policy_binding",
     "admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding", None),
    (ADMISSION_PARAMS, "CoreV1Api", "list_namespaced_config_map", "v1", "ConfigMap", SYSTEM_NAMESPACE),
)
# What a cluster that does not serve the API answers a list with (it never answers a list of
# a served cluster-scoped resource with 404): kept as the document, for the observer to read.
NOT_SERVED = {
    "apiVersion": "v1",
    "kind": "Status",
    "status": "Failure",
    "reason": "NotFound",
    "code": 404,
    "message": "the server could not find the requested resource (admissionregistration.k8s.io/v1 is not served)",
}

# The merged kubeconfig, parsed once per run rather than once per cluster: a fleet's kubeconfig
# holds every cluster's context, so re-parsing it per cluster costs O(clusters²) pure-Python YAML.
_KUBECONFIG_CACHE: dict[tuple, Any] = {}
_KUBECONFIG_LOCK = threading.Lock()


def import_sdk() -> None:
    """Import the kubernetes client now, so that its import time is not charged to a deadline."""
    import kubernetes.client
    import kubernetes.client.exceptions  # noqa: F401
    import kubernetes.config  # noqa: F401

    # The package imports each API class on first attribute access; do that here, once, rather
    # than in every worker thread at the same moment, each waiting on the import lock.
    classes = {api_class for _, api_class, *_ in LISTS + ADMISSION_LISTS}
    for name in sorted({"ApiClient", "Configuration", *classes}):
        getattr(kubernetes.client, name)


def api_client(cluster, budget):
    """A `kubernetes` ApiClient for the first of the cluster's `context_names` the kubeconfig
    holds, with retries left to the caller.

    KUBECONFIG is read here rather than at import: the client library reads it once when it is
    first imported, so a later change (tests, long-lived processes) would be missed. This is
    what `kubernetes.config.new_client_from_config` does, minus re-parsing the file, and with
    exec credential plugins run by intent/observe/kubeexec.py within what is left of `budget`.
    """
    from kubernetes import client
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    # urllib3 would otherwise retry reads itself, past the cluster's deadline.
    configuration.retries = False
    paths = os.environ.get("KUBECONFIG") or "~/.kube/config"
    if not any(os.path.isfile(os.path.expanduser(p)) for p in paths.split(os.pathsep) if p):
        source = "KUBECONFIG" if os.environ.get("KUBECONFIG") else "the default location"
        raise CollectError(f"kubernetes: no kubeconfig file at {paths} ({source})")
    context = cluster.context_names[0]
    try:
        merged = _merged_kubeconfig(paths)
        if merged.config is None:
            raise ConfigException("Invalid kube-config file. No configuration found.")
        context = pick_context(merged.context_names, cluster)
        # No persister: refreshed tokens are never written back from many threads.
        loader = _loader_class()(config_dict=merged.config, active_context=context, config_base_path=None)
        loader.budget = budget
        loader.load_and_set(configuration)
        return client.ApiClient(configuration=configuration)
    except ConfigException as exc:
        # The client's messages may quote a credential command's stderr: never verbatim.
        cause = clip(redact(" ".join(str(exc).split())), MAX_CAUSE)
        raise CollectError(f"kubernetes: kubeconfig context {quote(context)}: {cause}") from exc
    except OSError as exc:
        raise CollectError(f"kubernetes: cannot read kubeconfig: {exc}") from exc


def pick_context(defined: frozenset[str], cluster) -> str:
    """The first of the cluster's `context_names` among the kubeconfig's `defined` contexts.

    Only names derived from the intent are tried, never the kubeconfig's current-context: a
    wrong guess must fail loudly rather than read another cluster.
    """
    for name in cluster.context_names:
        if name in defined:
            return name
    if cluster.kube_context:
        fix = "add it, or correct kubeContext in the intent"
    else:
        fix = f"run `{cluster.credentials_command()}`, or set kubeContext for this cluster in the intent"
    tried = " or ".join(quote(name) for name in cluster.context_names)
    raise CollectError(f"kubernetes: no kubeconfig context {tried}: {fix}")


@functools.cache
def _loader_class() -> type:
    """KubeConfigLoader with exec credential plugins run by intent/observe/kubeexec.py (made once, on first
    use, so that importing this module does not import the kubernetes client)."""
    from kubernetes.config.dateutil import parse_rfc3339
    from kubernetes.config.kube_config import FileOrData, KubeConfigLoader

    from intent.observe.kubeexec import run_exec_plugin

    class BoundedExecLoader(KubeConfigLoader):
        """The client's loader, but a plugin's failure is this cluster's CollectError (the client
        logs it, stderr included, and goes on unauthenticated) and a plugin never outlives the
        cluster's deadline. It also runs when an expired token is refreshed before a request."""

        budget: Any = None  # the cluster's Budget, set before load_and_set

        def _load_from_exec_plugin(self):
            if "exec" not in self._user:
                return None
            base_path = self._get_base_path(self._cluster.path)
            exec_config = getattr(self._user["exec"], "value", None)  # None unless a mapping
            status = run_exec_plugin(exec_config, self._cluster.value, base_path, self.budget.timeout(),
                                     self.budget.seconds)
            if isinstance(status.get("token"), str):
                self.token = f"Bearer {status['token']}"
            else:  # run_exec_plugin made sure of both
                # Written to temporary files by the client, as for certificates in the kubeconfig.
                self.cert_file = FileOrData(status, None, data_key_name="clientCertificateData",
                                            file_base_path=base_path, base64_file_content=False,
                                            temp_file_path=self._temp_file_path).as_file()
                self.key_file = FileOrData(status, None, data_key_name="clientKeyData",
                                           file_base_path=base_path, base64_file_content=False,
                                           temp_file_path=self._temp_file_path).as_file()
            if "expirationTimestamp" in status:
                try:
                    self.expiry = parse_rfc3339(status["expirationTimestamp"])
                except (AttributeError, TypeError, ValueError):
                    raise CollectError("kubernetes: exec credential plugin printed a bad expirationTimestamp") from None
            return True

        def _refresh_gcp_token(self):
            # The legacy `gcp` auth-provider refreshes through `cmd-path`, which the client runs
            # with no timeout in fleet-intent's own process group: never run it.
            if "cmd-path" in (self._user["auth-provider"].value.get("config") or {}):
                raise CollectError(
                    "kubernetes: the kubeconfig's gcp auth-provider needs its cmd-path run to refresh the token; "
                    "fleet-intent runs credential commands only as exec plugins: use gke-gcloud-auth-plugin "
                    "(`gcloud container clusters get-credentials` writes it; kubectl dropped the gcp auth-provider in 1.26)"
                )
            return super()._refresh_gcp_token()

    return BoundedExecLoader


def _merged_kubeconfig(paths: str):
    """The parsed kubeconfig for `paths` (os.pathsep-separated), re-read only when a file changes."""
    from kubernetes.config.kube_config import KubeConfigMerger

    def stamp(path: str):
        try:
            return os.stat(os.path.expanduser(path)).st_mtime_ns
        except OSError:
            return None

    key = (paths, tuple(stamp(p) for p in paths.split(os.pathsep) if p))
    with _KUBECONFIG_LOCK:
        merged = _KUBECONFIG_CACHE.get(key)
        if merged is None:
            merged = KubeConfigMerger(paths)
            merged.context_names = _defined_contexts(merged.config)
            _KUBECONFIG_CACHE.clear()
            _KUBECONFIG_CACHE[key] = merged
        return merged


def _defined_contexts(config) -> frozenset[str]:
    """The context names a merged kubeconfig defines (found once per parse, not per cluster)."""
    # The merger wraps each context in a ConfigNode whose `value` is the context's mapping.
    contexts = config.value.get("contexts") if config is not None and isinstance(config.value, dict) else None
    entries = (getattr(item, "value", item) for item in contexts or [])
    return frozenset(entry["name"] for entry in entries if isinstance(entry, dict) and isinstance(entry.get("name"), str))


def read_kubernetes(plan: ClusterPlan, budget) -> Documents:
    """The cluster's Kubernetes documents (aws-auth only on EKS, and only when it exists)."""
    from kubernetes import client

    api = api_client(plan.cluster, budget)
    try:
        documents: Documents = {}
        for path, api_class, method, api_version, kind in LISTS:
            lister = getattr(getattr(client, api_class)(api), method)
            documents[path] = read_list(lister, api_version, kind, budget, f"kubernetes {method}")
        if plan.provider == "eks":
            aws_auth = read_aws_auth(client.CoreV1Api(api), budget)
            if aws_auth is not None:
                documents[AWS_AUTH] = aws_auth
        if plan.admission_mode:
            documents.update(read_admission(client, api, budget))
        return documents
    finally:
        api.close()


def read_admission(client, api, budget) -> Documents:
    """The admission policies, bindings and parameter ConfigMaps (SPEC §13). A 404 on the
    admissionregistration.k8s.io/v1 lists (a cluster before Kubernetes 1.30) is kept as the
    NOT_SERVED `Status` document rather than failing the cluster."""
    from kubernetes.client.exceptions import ApiException

    documents: Documents = {}
    for path, api_class, method, api_version, kind, namespace in ADMISSION_LISTS:
        lister = getattr(getattr(client, api_class)(api), method)
        if namespace is not None:
            lister = functools.partial(lister, namespace)
        what = f"kubernetes {method}" + (f" {namespace}" if namespace else "")
        try:
            documents[path] = read_list(lister, api_version, kind, budget, what)
        except CollectError as exc:
            if namespace is None and isinstance(exc.__cause__, ApiException) and exc.__cause__.status == 404:
                documents[path] = dict(NOT_SERVED)
                continue
            raise
    return documents


def read_list(lister: Callable[..., Any], api_version: str, kind: str, budget, what: str) -> dict[str, Any]:
    """Every item of a list call, as `kubectl get -o json` prints the list."""
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"limit": PAGE_SIZE}
        if token:
            kwargs["_continue"] = token
        page = budget.call(
            what,
            lambda: _json(lister(**kwargs, _preload_content=False, _request_timeout=budget.timeout())),
        )
        for item in page.get("items") or []:
            item["apiVersion"] = api_version
            item["kind"] = kind
            items.append(item)
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            break
    return {"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}


def read_aws_auth(core, budget) -> dict[str, Any] | None:
    """The kube-system/aws-auth ConfigMap, or None when the cluster has none (404)."""
    from kubernetes.client.exceptions import ApiException

    def get() -> dict[str, Any] | None:
        try:
            response = core.read_namespaced_config_map(
                "aws-auth", "kube-system", _preload_content=False, _request_timeout=budget.timeout()
            )
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        document = _json(response)
        document.setdefault("apiVersion", "v1")
        document.setdefault("kind", "ConfigMap")
        return document

    return budget.call("kubernetes read_namespaced_config_map kube-system/aws-auth", get)


def _json(response) -> dict[str, Any]:
    try:
        data = response.data
    finally:
        response.release_conn()
    try:
        # The same bounds as a snapshot document: a hostile API server is no more trusted.
        document = parse_json_bounded(data, "API server answer")
    except InputFileError as exc:
        raise CollectError(f"kubernetes: {exc}") from exc
    if not isinstance(document, dict):
        raise CollectError("kubernetes: the API server answered with JSON that is not an object")
    return document
