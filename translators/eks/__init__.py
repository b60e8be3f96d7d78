"""The EKS translator: access entries or aws-auth, RBAC, Pod Identity."""

from __future__ import annotations

from typing import ClassVar

from jinja2 import Environment

from intent.plan import ClusterPlan

from ..base import RenderedFile


class EksTranslator:
    """Renders EKS cluster roots and reads EKS clusters back."""

    name: ClassVar[str] = "eks"

    def render(self, plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
        """The files of an EKS cluster root."""
        from .render import render_eks

        return render_eks(plan, env)

    def observe(self, plan, documents):
        """The cluster's observed state from its snapshot documents."""
        from .observe import observe_cluster
        return observe_cluster(plan, documents)
