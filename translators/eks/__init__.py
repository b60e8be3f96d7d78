"""The EKS translator: access entries or aws-auth, RBAC, Pod Identity."""

from __future__ import annotations

from typing import ClassVar

from ..base import ProviderTranslator


class EksTranslator(ProviderTranslator):
    """Renders EKS cluster roots and reads EKS clusters back."""

    name: ClassVar[str] = "eks"
