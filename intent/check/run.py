"""A check run: read every planned cluster from a source, observe, diff, and build the report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from intent.check.diff import diff_cluster, diff_exceptions, diff_unreadable
from intent.check.findings import Finding
from intent.observe.observed import ObservedState
from intent.plan import ClusterPlan, FleetPlan
from intent.plugins import load_translator
from intent.check.report import ClusterStatus, Report
from intent.check.revision import cluster_revision
from intent.observe.sources import CollectError, StateSource


def read_with_translator(method: str, plan: ClusterPlan, documents: dict[str, Any]) -> Any:
    """`translator.<method>(plan, documents)` of the cluster's provider (`observe`, `adopt`),
    any document shape its parsers did not anticipate turned into a CollectError."""
    translator = load_translator(plan.provider)
    try:
        return getattr(translator, method)(plan, documents)
    except CollectError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # A document shape no parser check anticipated: still one cluster's problem, not a crash.
        raise CollectError(f"unexpected document content ({type(exc).__name__}: {exc})") from None


def observe(plan: ClusterPlan, documents: dict[str, Any]) -> ObservedState:
    """The observed state of one cluster, read by its provider's translator (CollectError when
    a document is malformed)."""
    return read_with_translator("observe", plan, documents)


def cluster_admins(plan: ClusterPlan) -> list[tuple[str, str]]:
    """The RBAC subjects through which the cluster's translator grants the intent's
    cluster-admins: the allow-list of its admission guard (empty without `admission:`)."""
    if not plan.admission_mode:
        return []
    return load_translator(plan.provider).cluster_admin_subjects(plan)


def check_cluster(plan: ClusterPlan, documents: dict[str, Any] | CollectError) -> tuple[str, list[Finding]]:
    """(status, findings) of one cluster from its documents or its read error."""
    status, findings = _check_cluster(plan, documents)
    return status.status, findings


def _check_cluster(plan: ClusterPlan, documents: dict[str, Any] | CollectError) -> tuple[ClusterStatus, list[Finding]]:
    """The cluster's status (with the revision it runs, when it could be read) and findings."""
    if not isinstance(documents, CollectError):
        try:
            observed = observe(plan, documents)
            findings = diff_cluster(plan, observed, cluster_admins(plan))
            return ClusterStatus(plan.name, plan.provider, "ok", cluster_revision(plan, observed)), findings
        except CollectError as exc:
            documents = exc
    unreadable = ClusterStatus(plan.name, plan.provider, "unreadable")
    return unreadable, [diff_unreadable(plan, documents)] + diff_exceptions(plan)


def run_check(
    loaded,
    fleet_plan: FleetPlan,
    source: StateSource,
    now: dt.datetime,
    extra_findings: list[Finding] | None = None,
) -> Report:
    """Check every cluster of `fleet_plan` against what `source` reads; `extra_findings`
    (Terraform template findings) are added to the report."""
    statuses: list[ClusterStatus] = []
    findings: list[Finding] = list(extra_findings or [])
    for plan, documents in source.collect(fleet_plan.clusters):
        status, found = _check_cluster(plan, documents)
        statuses.append(status)
        findings += found
    return Report.build(loaded.path, loaded.sha256, statuses, findings, generated_at=now.isoformat())
