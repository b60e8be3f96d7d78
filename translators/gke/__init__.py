"""The GKE translator: Google-group RBAC, clusterViewer, Workload Identity."""

from __future__ import annotations

from typing import ClassVar

from jinja2 import Environment

from intent.plan import ClusterPlan

from ..base import RenderedFile


class GkeTranslator:
    """Renders GKE cluster roots and reads GKE clusters back."""

    name: ClassVar[str] = "gke"

    def render(self, plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
        """The files of a GKE cluster root."""
        from .render import render_gke

        return render_gke(plan, env)

    def observe(self, plan, documents):
        """The cluster's observed state from its snapshot documents."""
        from .observe import observe_cluster
        return observe_cluster(plan, documents)
