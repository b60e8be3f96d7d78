"""The EKS translator: access entries or aws-auth, RBAC, Pod Identity."""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

from intent.plan import ClusterPlan

from ..base import ProviderTranslator


class EksTranslator(ProviderTranslator):
    """Renders EKS cluster roots and reads EKS clusters back."""

    name: ClassVar[str] = "eks"

    def migration(self, plan: ClusterPlan, documents: Any) -> Any:
        """The cluster's aws-auth -> access entries report (translators/eks/migrate.py
        `EksMigration`): what each aws-auth mapping becomes and whether access stays the same."""
        return importlib.import_module(".migrate", __name__).migration_report(plan, documents)
