"""Which plan revision a cluster runs: the `fleet-intent/revision` annotation `generate` stamps on
every namespace it manages, read back and set against the current `plan_revision`.

This is not a finding: a cluster applied from an older plan shows drift as findings where it
matters; the revision only makes the split state visible (a cluster stamped from an old
template stands out even before any drift finding).
"""

from __future__ import annotations

from intent.check.report import ClusterRevision, Report
from intent.observe.observed import ObservedState
from intent.plan import REVISION_ANNOTATION, ClusterPlan, is_revision, plan_revision

# What `found` says when the managed namespaces do not agree on one revision.
NONE = "none"  # no managed namespace carries the annotation (never applied, or before revisions)
MIXED = "mixed"  # they carry different values, or some carry none (a partial apply)
INVALID = "invalid"  # they agree on a value that is not a revision (edited by hand)
FOUND_WORDS = (NONE, MIXED, INVALID)


def found_revision(plan: ClusterPlan, observed: ObservedState) -> str:
    """The revision on the cluster's managed namespaces (those of the plan that exist), or
    NONE / MIXED / INVALID. A value that is not of the revision form never leaves this
    function: the cluster's annotations are not trusted into a report."""
    values: set[str | None] = set()
    for ns in plan.namespaces:
        found = observed.namespace(ns.name)
        if found is None:
            continue  # missing namespaces are FI-NS-001 findings
        value = found.annotation(REVISION_ANNOTATION)
        values.add(value if value is None or is_revision(value) else INVALID)
    if not values or values == {None}:
        return NONE
    if len(values) > 1:
        return MIXED
    return values.pop()  # type: ignore[return-value]  # a revision or INVALID, not None


def cluster_revision(plan: ClusterPlan, observed: ObservedState) -> ClusterRevision:
    """The revision the cluster runs against the one its plan is at now."""
    return ClusterRevision(current=plan_revision(plan), found=found_revision(plan, observed))


def revision_lines(report: Report) -> list[str]:
    """A line per cluster found running another revision than its plan's, then how many
    clusters carry none (quietly: one line, however many; a fleet never applied from a
    generate that stamps revisions has none anywhere)."""
    lines = []
    unmarked = 0
    for c in report.clusters:
        revision = c.revision
        if revision is None or not revision.differs:
            continue
        if revision.found == NONE:
            unmarked += 1
        elif revision.found == MIXED:
            lines.append(f"{c.name} runs mixed revisions (its namespaces disagree), the intent is at {revision.current}")
        elif revision.found == INVALID:
            lines.append(f"{c.name} carries a revision annotation that is not a revision, the intent is at {revision.current}")
        else:
            lines.append(f"{c.name} runs revision {revision.found}, the intent is at {revision.current}")
    if unmarked:
        lines.append(f"{unmarked} cluster(s) carry no revision annotation")
    return lines
