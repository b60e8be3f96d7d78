"""The diff engine: a cluster's plan and its observed state in, findings out (SPEC §8).

This module owns namespaces, Pod Security and exceptions and calls `diff_access` (grants,
cloud roles, authentication settings), `diff_workload` (workload identity) and
`diff_admission` (admission policies, SPEC §13) for the rest.
Every finding is built by one `Emitter` (intent/check/emit.py: rule metadata and owner
routing in one place). It never sees SDK objects or raw documents, only `ClusterPlan` and
`ObservedState`.

Routing: a finding about an object that belongs to a team (its namespace, its grant, its
workload identity) carries that team and the team's first owner; cluster-wide objects carry
neither namespace nor team and go to `metadata.owner`; FI-EXC-001 goes to the exception's owner.
"""

from __future__ import annotations

from collections.abc import Iterable

from intent.check.diff_access import diff_access
from intent.check.diff_admission import diff_admission
from intent.check.diff_workload import diff_workload
from intent.check.emit import Emitter
from intent.check.findings import (
    FI_COLLECT_001,
    FI_EXC_001,
    FI_NS_001,
    FI_NS_002,
    FI_PSA_001,
    FI_PSA_002,
    FI_PSA_003,
    Finding,
    Severity,
    sort_findings,
)
from intent.model import PSA_MODES, Level
from intent.observe.observed import ObservedState
from intent.plan import PSA_PREFIX, ClusterPlan

MISSING = "(missing)"


def diff_cluster(
    plan: ClusterPlan, observed: ObservedState, cluster_admins: Iterable[tuple[str, str]] | None = None
) -> list[Finding]:
    """Every finding (except FI-TF-*) for one readable cluster, sorted (cluster, rule, object).

    `cluster_admins` are the RBAC subjects the cluster's translator grants cluster-admin through
    (`cluster_admin_subjects`), which the desired admission objects need: the admission
    policies are compared only when they are given (intent/check/run.py always gives them).
    """
    emit = Emitter(plan)
    findings = diff_namespaces(emit, observed)
    findings += diff_exceptions(plan)
    findings += diff_access(emit, observed)
    findings += diff_workload(emit, observed)
    if cluster_admins is not None:
        findings += diff_admission(emit, observed, cluster_admins)
    return sort_findings(findings)


def diff_unreadable(plan: ClusterPlan, error: Exception) -> Finding:
    """FI-COLLECT-001 for a cluster that could not be read."""
    cause = str(error) or type(error).__name__
    return Emitter(plan)(
        FI_COLLECT_001,
        f"Cluster/{plan.name}",
        f"cluster {plan.name} could not be read: {cause}",
        expected="readable",
        actual=cause,
    )


def diff_exceptions(plan: ClusterPlan) -> list[Finding]:
    """FI-EXC-001 once per expired exception touching this cluster (known without reading it)."""
    emit = Emitter(plan)
    out = []
    for exc in plan.exceptions_expired:
        levels = ", ".join(f"{mode}={level}" for mode, level in exc.levels) or "no levels"
        out.append(
            emit(
                FI_EXC_001,
                f"Exception/{exc.id}",
                f"exception {exc.id} ({levels}) for namespace {exc.namespace} expired on {exc.expires.isoformat()} "
                "and no longer excuses a weaker level",
                expected=f"valid until after {exc.expires.isoformat()} (renewed) or removed",
                actual=f"expired {exc.expires.isoformat()}",
                namespace=exc.namespace,
                team=emit.namespace_team(exc.namespace),
                owner=exc.owner,
            )
        )
    return out


def _level(value: str | None) -> Level | None:
    try:
        return Level(value) if value is not None else None
    except ValueError:
        return None  # PSA rejects unknown levels; treat as no level at all


def diff_namespaces(emit: Emitter, observed: ObservedState) -> list[Finding]:
    """FI-NS-001/002 and FI-PSA-001/002/003."""
    plan = emit.plan
    out: list[Finding] = []
    expired = {(e.namespace, mode): e for e in plan.exceptions_expired for mode, _ in e.levels}
    for ns in plan.namespaces:
        obj = f"Namespace/{ns.name}"
        seen = observed.namespace(ns.name)
        if seen is None:
            out.append(
                emit(FI_NS_001, obj, f"namespace {ns.name} of team {ns.team} does not exist on {plan.name}",
                     expected="present", actual="missing", namespace=ns.name, team=ns.team)
            )
            continue
        for mode in PSA_MODES:
            key = f"{PSA_PREFIX}{mode}"
            want = ns.pod_security.level(mode)
            raw = seen.label(key)
            got = _level(raw)
            if mode == "enforce" and raw is None:
                out.append(
                    emit(FI_PSA_001, obj, f"namespace {ns.name} has no {key} label, so any pod is admitted "
                         f"(intended: {want.value})", expected=want.value, actual=MISSING, namespace=ns.name, team=ns.team)
                )
                continue
            if got is None or got.weaker_than(want):
                why = ""
                if (ns.name, mode) in expired:
                    e = expired[(ns.name, mode)]
                    why = f"; exception {e.id} expired on {e.expires.isoformat()}"
                out.append(
                    emit(FI_PSA_002, obj, f"namespace {ns.name} {mode} level is {raw or 'unset'}, weaker than the "
                         f"intended {want.value} ({key}){why}", expected=want.value, actual=raw or MISSING,
                         namespace=ns.name, team=ns.team,
                         severity=Severity.HIGH if mode == "enforce" else Severity.MEDIUM)
                )
            if raw is None:
                continue
            version_key = f"{key}-version"
            # PSA reads a missing version label as "latest".
            version = seen.label(version_key) or "latest"
            if version != ns.pod_security.version:
                out.append(
                    emit(FI_PSA_003, obj, f"namespace {ns.name} pins {version_key}={version}, intended "
                         f"{ns.pod_security.version}", expected=ns.pod_security.version, actual=version,
                         namespace=ns.name, team=ns.team)
                )
    declared = {ns.name for ns in plan.namespaces}
    baseline = plan.baseline.enforce
    for seen in observed.namespaces:
        if seen.name in declared or emit.ignored(seen.name):
            continue
        raw = seen.label(f"{PSA_PREFIX}enforce")
        got = _level(raw)
        if got is None or got.weaker_than(baseline):
            out.append(
                emit(FI_NS_002, f"Namespace/{seen.name}",
                     f"namespace {seen.name} is not declared in the intent and enforces {raw or 'nothing'}, "
                     f"weaker than the org baseline {baseline.value}",
                     expected=f"enforce>={baseline.value} or declared/ignored", actual=raw or MISSING,
                     namespace=seen.name)
            )
    return out
