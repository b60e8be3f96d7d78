"""The AKS translator: Azure RBAC or Kubernetes RBAC for Entra ids, workload identity."""

from __future__ import annotations

from typing import ClassVar

from ..base import ProviderTranslator


class AksTranslator(ProviderTranslator):
    """Renders AKS cluster roots and reads AKS clusters back."""

    name: ClassVar[str] = "aks"
