"""An adopt run: read every planned cluster, ask its translator which generated resources
already exist, and keep the check's findings that stand in the way of the first apply."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from intent.check.findings import (
    FI_AUTH_001,
    FI_AUTH_002,
    FI_AUTH_003,
    FI_AUTH_004,
    FI_AUTH_005,
    FI_COLLECT_001,
    FI_WI_002,
    FI_WI_003,
    Finding,
)
from intent.check.report import ClusterStatus, Report
from intent.check.run import check_cluster, read_with_translator
from intent.observe.adoption import ClusterAdoption
from intent.observe.sources import CollectError, StateSource
from intent.plan import ClusterPlan, FleetPlan

# What apply neither creates nor rewrites: access and identities that exist beyond or against
# the intent, settings the roots rely on, clusters that could not be read. Missing objects
# (FI-NS-001, FI-AUTH-002, FI-WI-001) and weak labels on managed namespaces (FI-PSA-*) are
# what apply creates or changes, counted in the summary instead.
IN_THE_WAY = frozenset({FI_COLLECT_001, FI_AUTH_001, FI_AUTH_003, FI_AUTH_004, FI_AUTH_005, FI_WI_002, FI_WI_003})
# ... and the one missing object apply cannot create: the aws-auth ConfigMap it patches.
AWS_AUTH_CONFIG_MAP = "ConfigMap/kube-system/aws-auth"


def stands_in_the_way(finding: Finding) -> bool:
    """Whether a check finding is one `adopt` reports (see IN_THE_WAY)."""
    return finding.rule in IN_THE_WAY or (finding.rule == FI_AUTH_002 and finding.object == AWS_AUTH_CONFIG_MAP)


@dataclass(frozen=True, slots=True)
class AdoptResult:
    """The findings (a check report) and, per readable cluster, its adoption."""

    report: Report
    adoptions: tuple[ClusterAdoption, ...]

    def to_dict(self) -> dict[str, Any]:
        """The §8 report with each cluster's adoption under `adoption`."""
        data = self.report.to_dict()
        data.pop("generatedAt", None)
        data["adoption"] = [a.to_dict() for a in self.adoptions]
        return data


def adopt_one(plan: ClusterPlan, documents: dict[str, Any] | CollectError) -> tuple[str, ClusterAdoption | None, list[Finding]]:
    """(status, adoption or None when unreadable, the findings in the way) of one cluster."""
    status, findings = check_cluster(plan, documents)
    adoption = None
    if status == "ok":
        try:
            adoption = read_with_translator("adopt", plan, documents)
        except CollectError as exc:
            status, findings = check_cluster(plan, exc)
    return status, adoption, [f for f in findings if stands_in_the_way(f)]


def run_adopt(loaded, fleet_plan: FleetPlan, source: StateSource, now: dt.datetime) -> AdoptResult:
    """Adopt every cluster of `fleet_plan` from what `source` reads."""
    statuses: list[ClusterStatus] = []
    findings: list[Finding] = []
    adoptions: list[ClusterAdoption] = []
    for plan, documents in source.collect(fleet_plan.clusters):
        status, adoption, found = adopt_one(plan, documents)
        statuses.append(ClusterStatus(plan.name, plan.provider, status))
        findings += found
        if adoption is not None:
            adoptions.append(adoption)
    report = Report.build(loaded.path, loaded.sha256, statuses, findings, generated_at=now.isoformat())
    return AdoptResult(report, tuple(sorted(adoptions, key=lambda a: a.cluster)))
