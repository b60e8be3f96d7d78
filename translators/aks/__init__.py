"""The AKS translator: Azure RBAC or Kubernetes RBAC for Entra ids, workload identity."""

from __future__ import annotations

from typing import ClassVar

from jinja2 import Environment

from intent.plan import ClusterPlan

from ..base import RenderedFile


class AksTranslator:
    """Renders AKS cluster roots and reads AKS clusters back."""

    name: ClassVar[str] = "aks"

    def render(self, plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
        """The files of an AKS cluster root."""
        from .render import render_aks

        return render_aks(plan, env)

    def observe(self, plan, documents):
        """The cluster's observed state from its snapshot documents."""
        from .observe import observe_cluster
        return observe_cluster(plan, documents)
