"""The one place findings are built: rule metadata and owner routing for one cluster.

Routing: a finding about an object that belongs to a team (its namespace, its grant, its
workload identity) carries that team and the team's first owner; cluster-wide objects carry
neither namespace nor team and go to `metadata.owner`.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from intent.check.findings import RULES, Finding, Severity
from intent.plan import ClusterPlan


class Emitter:
    """Builds findings for one cluster with its rule metadata and owner routing."""

    __slots__ = ("plan", "_owners", "_teams")

    def __init__(self, plan: ClusterPlan) -> None:
        self.plan = plan
        # ClusterPlan.owner_of and .namespace, as dicts: they are asked once per grant and finding.
        self._owners = {None: plan.owner, **dict(plan.team_owners)}
        self._teams = {ns.name: ns.team for ns in plan.namespaces}

    def __call__(
        self,
        rule: str,
        obj: str,
        message: str,
        *,
        expected: str | None = None,
        actual: str | None = None,
        namespace: str | None = None,
        team: str | None = None,
        severity: Severity | None = None,
        owner: str | None = None,
    ) -> Finding:
        meta = RULES[rule]
        return Finding(
            rule=rule,
            severity=severity or meta.severity,
            cluster=self.plan.name,
            provider=self.plan.provider,
            namespace=namespace,
            object=obj,
            expected=expected,
            actual=actual,
            message=message,
            team=team,
            owner=owner or self._owners.get(team, self.plan.owner),
            remediation=meta.remediation,
        )

    def namespace_team(self, name: str) -> str | None:
        return self._teams.get(name)

    def ignored(self, namespace: str) -> bool:
        return any(fnmatchcase(namespace, pattern) for pattern in self.plan.ignore_namespaces)
