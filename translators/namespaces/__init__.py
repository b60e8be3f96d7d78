"""The namespaces translator: the reusable namespaces module and each cluster's call to it."""

from __future__ import annotations

import functools
from typing import ClassVar

from jinja2 import Environment

from intent.admission import PSA_FLOOR
from intent.plan import PSA_PREFIX, REVISION_ANNOTATION, ClusterPlan, NamespacePlan, plan_revision
from intent.generate.render import Attrs, HclRaw, hcl_expr, render_template

from ..base import RenderedFile
from ..common import KUBERNETES_PROVIDER, admission_params_dependency, cluster_root

MODULE_DIR = "modules/namespaces"
MODULE_FILES = ("variables.tf", "main.tf", "outputs.tf")  # and versions.tf, from the common template


def namespaces_input(plan: ClusterPlan) -> dict:
    """The module's `namespaces` input: a literal map keyed by namespace name, each value
    already rendered as HCL (`hcl_expr` output).

    The PSA labels travel as `pod_security` (the module stamps them last); `labels` holds
    every other label of the namespace, including the managed-by and team labels;
    `annotations` the intent's own. The cluster's revision is not in it: it is the module's
    `revision` input, which the module adds to every namespace's annotations (see
    `wanted_annotations`), so that each entry stays the same on every cluster (and cached).
    """
    return {ns.name: namespace_entry(ns) for ns in sorted(plan.namespaces, key=lambda n: n.name)}


@functools.lru_cache(maxsize=1 << 14)
def namespace_entry(ns: NamespacePlan) -> HclRaw:
    """One namespace's entry of the `namespaces` map, as HCL at nesting level 2.

    Cached: the same namespace usually has the same plan on every cluster that hosts it.
    """
    psa = ns.pod_security
    value = Attrs(
        pod_security=Attrs(enforce=psa.enforce.value, audit=psa.audit.value, warn=psa.warn.value, version=psa.version),
        labels=dict(kv for kv in ns.labels if not kv[0].startswith(PSA_PREFIX)),
        annotations=dict(ns.annotations),
    )
    return hcl_expr(value, 2)


def wanted_annotations(ns: NamespacePlan, revision: str) -> dict[str, str]:
    """Every annotation the namespaces module sets on `ns` in a cluster root whose plan has
    `revision` (`plan_revision`, asked once per cluster): the intent's own and
    `fleet-intent/revision`. The module writes
    `merge(each.value.annotations, {revision})`, and in Terraform's `merge` "the one that is
    later in the argument sequence takes precedence" (developer.hashicorp.com/terraform/
    language/functions/merge; confirmed with terraform 1.11.4), so the revision always wins."""
    return {**dict(ns.annotations), REVISION_ANNOTATION: revision}


class NamespacesTranslator:
    """Renders the namespaces module and the `module "namespaces"` call of each cluster."""

    name: ClassVar[str] = "namespaces"

    def render(self, plan: ClusterPlan, env: Environment) -> list[RenderedFile]:
        """The cluster's namespaces.tf."""
        text = render_template(
            env, "namespaces/module-call.tf.j2", plan.name,
            cluster=plan.cluster, revision=plan_revision(plan), namespaces=namespaces_input(plan),
            depends_on=admission_params_dependency(plan, PSA_FLOOR),
        )
        return [RenderedFile(cluster_root(plan, "namespaces.tf"), text)]

    def render_shared(self, env: Environment) -> list[RenderedFile]:
        """The files of the reusable module (the same for every intent)."""
        # The module's provider pin is the cluster roots' (KUBERNETES_PROVIDER), not a copy of it.
        versions = render_template(env, "common/versions.tf.j2", None, required_providers=[KUBERNETES_PROVIDER])
        return [RenderedFile(f"{MODULE_DIR}/versions.tf", versions)] + [
            RenderedFile(f"{MODULE_DIR}/{name}", render_template(env, f"namespaces/{name}.j2", None))
            for name in MODULE_FILES
        ]

    def observe(self, plan, documents):
        """The cluster's observed state from its snapshot documents."""
        from .observe import observe_cluster
        return observe_cluster(plan, documents)
