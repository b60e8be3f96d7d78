"""The translator plugin interface and the rendered-file value it returns."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from jinja2 import Environment

from intent.plan import ClusterPlan


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """One generated file: `path` relative to the output directory (POSIX), and its text."""

    path: str
    text: str


@runtime_checkable
class Translator(Protocol):
    """A provider plugin: renders a cluster's plan and reads its live state back.

    `render` is pure (plan in, files out, nothing written). A translator that also emits
    fleet-wide files (the namespaces module) defines `render_shared(env)` as well.
    """

    name: ClassVar[str]

    def render(self, plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
        """The files of `plan`'s cluster root that this translator owns."""
        ...

    def observe(self, plan: ClusterPlan, documents: Any) -> Any:
        """The cluster's observed state from its snapshot documents."""
        ...


class ProviderTranslator:
    """A cloud provider's translator, in a package beside its `render` module (which defines
    `render_<name>`), its `observe` module (which defines `observe_cluster`) and its `adopt`
    module (which defines `adopt_cluster`). Each is imported on first use, so loading the
    plugins stays cheap."""

    name: ClassVar[str]

    def render(self, plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
        """The files of the provider's cluster root for `plan`."""
        render = getattr(importlib.import_module(".render", type(self).__module__), f"render_{self.name}")
        return render(plan, env)

    def observe(self, plan: ClusterPlan, documents: Any) -> Any:
        """The cluster's observed state from its snapshot documents."""
        return importlib.import_module(".observe", type(self).__module__).observe_cluster(plan, documents)

    def cluster_admin_subjects(self, plan: ClusterPlan) -> list[tuple[str, str]]:
        """The (kind, name) RBAC subjects through which the cluster's root grants the intent's
        cluster-admins: the allow-list of the admission guard (intent/admission.py)."""
        return importlib.import_module(".render", type(self).__module__).cluster_admin_subjects(plan)

    def adopt(self, plan: ClusterPlan, documents: Any) -> Any:
        """The cluster's `ClusterAdoption` (intent/observe/adoption.py): which resources of its
        root already exist, with their import ids, and which apply creates (SPEC §12)."""
        return importlib.import_module(".adopt", type(self).__module__).adopt_cluster(plan, documents)


class LiveReader(Protocol):
    """What `translators/<provider>/live.py` provides (module-level functions) for `check --live`.

    intent/observe/pool.py calls them for each cluster of that provider; each reads the provider's
    cloud documents in the snapshot layout (SPEC §7), Kubernetes objects being read for all.
    """

    def import_sdk(self) -> None:
        """Import the provider's SDK, before any cluster's deadline starts."""
        ...

    def default_credentials(self) -> Any:
        """The run's credentials (or client session), made once and shared by its clusters."""
        ...

    def expected_calls(self, plan: ClusterPlan) -> int:
        """About how many calls reading `plan` takes beyond the Kubernetes lists (its cloud's
        calls, and any extra Kubernetes reads such as aws-auth): longer reads start first."""
        ...

    def read_cloud(self, plan: ClusterPlan, budget: Any, credentials: Any) -> dict[str, Any]:
        """The cluster's cloud documents; every call through `budget.call` (deadline, retries)."""
        ...
