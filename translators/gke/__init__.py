"""The GKE translator: Google-group RBAC, clusterViewer, Workload Identity."""

from __future__ import annotations

from typing import ClassVar

from ..base import ProviderTranslator


class GkeTranslator(ProviderTranslator):
    """Renders GKE cluster roots and reads GKE clusters back."""

    name: ClassVar[str] = "gke"
