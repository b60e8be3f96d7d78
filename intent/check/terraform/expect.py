"""What a template is compared with: one cluster's plan, or the levels that hold fleet-wide."""

from __future__ import annotations

from dataclasses import dataclass

from intent.model import AksCluster, EksCluster, GkeCluster, SecurityIntent
from intent.plan import ClusterPlan, FleetPlan, cluster_teams, plan_cluster

_SYNTHETIC = {"eks": EksCluster, "gke": GkeCluster, "aks": AksCluster}


@dataclass(frozen=True, slots=True)
class Target:
    """A plan to compare with; `cluster` is the findings' cluster (None for fleet-wide)."""

    cluster: str | None
    plan: ClusterPlan

    @property
    def matched(self) -> bool:
        return self.cluster is not None


class Expectations:
    """Cluster plans by name and one fleet-wide plan per provider, built on demand."""

    def __init__(self, fleet: FleetPlan, intent: SecurityIntent):
        self.fleet = fleet
        self.intent = intent
        self._plans: dict[str, ClusterPlan] = {p.name: p for p in fleet.clusters}
        self._fleet_wide: dict[str, ClusterPlan] = {}

    def cluster_plan(self, name: str) -> ClusterPlan | None:
        """The plan of intent cluster `name` (planned now if `fleet` left it out)."""
        if name not in self._plans:
            for cluster in self.intent.clusters:
                if cluster.name == name:
                    self._plans[name] = plan_cluster(self.intent, cluster, self.fleet.now)
        return self._plans.get(name)

    def fleet_wide(self, provider: str) -> ClusterPlan:
        """A plan holding on every cluster of the fleet, for templates matched to no cluster.

        It is planned for a cluster that hosts every team some cluster hosts and that no
        exception names, so exceptions limited to some clusters do not apply, while those
        without a cluster list (they apply wherever the namespace is) do.
        """
        if provider not in self._fleet_wide:
            hosted: list[str] = []
            for cluster in self.intent.clusters:
                for team in cluster_teams(self.intent, cluster):
                    if team.name not in hosted:
                        hosted.append(team.name)
            fields = {"name": "", "teams": hosted, "labels": {}, "kube_context": None, "provider": provider}
            if provider == "eks":
                fields.update(account_id="", region="", authentication_mode=None, node_role_arns=[])
            elif provider == "gke":
                fields.update(project="", location="", security_group=None)
            else:
                fields.update(subscription_id="", resource_group="", authorization=None)
            # model_construct: the placeholder fields are never read for this plan.
            synthetic = _SYNTHETIC[provider].model_construct(**fields)
            self._fleet_wide[provider] = plan_cluster(self.intent, synthetic, self.fleet.now)
        return self._fleet_wide[provider]

    def target(self, cluster: str | None, provider: str | None) -> Target:
        """The matched cluster's plan when it is of `provider` (or any, for None), else fleet-wide."""
        if cluster is not None:
            plan = self.cluster_plan(cluster)
            if plan is not None and (provider is None or plan.provider == provider):
                return Target(cluster, plan)
        return Target(None, self.fleet_wide(provider or "eks"))

    def gke_projects(self) -> set[str]:
        """Every GKE project of the intent (the Workload Identity pools it manages)."""
        return {c.project for c in self.intent.clusters if isinstance(c, GkeCluster)}
