"""The Kubernetes share of adoption (translators/kubernetes_adopt.py): what the first apply
changes on an imported namespace, binding or service account, by the hashicorp/kubernetes
provider's rules (kubernetes/structures.go `isInternalKey`: labels and annotations on a
`*kubernetes.io` host, other than app.kubernetes.io and service.beta.kubernetes.io, stay out
of state unless configured; everything else the configuration does not name is removed)."""

from __future__ import annotations

import pytest

from intent.observe.adoption import AdoptionBuilder
from translators.common import Binding, Subject
from translators.kubernetes_adopt import _adopt_binding, metadata_changes, provider_internal_key


@pytest.mark.parametrize(("key", "internal"), [
    ("kubernetes.io/metadata.name", True),
    ("pod-security.kubernetes.io/enforce", True),
    ("kubectl.kubernetes.io/last-applied-configuration", True),
    ("app.kubernetes.io/managed-by", False),
    ("service.beta.kubernetes.io/aws-load-balancer-type", False),
    ("eks.amazonaws.com/role-arn", False),
    ("team", False),
    ("k8s.io/x", False),
])
def test_internal_keys_follow_the_provider(key, internal):
    assert provider_internal_key(key) is internal


def test_metadata_changes_add_change_and_remove_but_keep_internal_keys():
    meta = {"labels": {"kubernetes.io/metadata.name": "payments", "owner": "bob", "tier": "a"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}
    changes = metadata_changes(meta, {"tier": "b", "fleet-intent/team": "payments"}, {})
    assert changes == ["labels: +fleet-intent/team=payments, -owner, ~tier=a->b"]


def test_binding_with_other_subjects_and_role_is_replaced():
    """roleRef cannot change on a Kubernetes binding ("After you create a binding, you cannot
    change the Role or ClusterRole that it refers to", kubernetes.io rbac.md), so a same-named
    binding to another role is replaced; extra subjects are removed in place."""
    binding = Binding("payments_edit", "fleet-intent:payments:edit", "payments", "edit", (),
                      (Subject("Group", "payments-devs"),))
    found = {"metadata": {"name": "fleet-intent:payments:edit", "namespace": "payments"},
             "roleRef": {"kind": "ClusterRole", "name": "admin"},
             "subjects": [{"kind": "Group", "name": "payments-devs", "apiGroup": "rbac.authorization.k8s.io"},
                          {"kind": "User", "name": "mallory", "apiGroup": "rbac.authorization.k8s.io"}]}
    builder = AdoptionBuilder("c", "gke")
    _adopt_binding(builder, "kubernetes_role_binding_v1.payments_edit", binding, found, "payments/fleet-intent:payments:edit",
                   "RoleBinding/payments/fleet-intent:payments:edit")
    (target,) = builder.build().imports
    assert target.replaced
    assert target.id == "payments/fleet-intent:payments:edit"
    assert any(c.startswith("roleRef: ClusterRole/admin -> ClusterRole/edit") for c in target.changes)
    assert "subjects: -User mallory" in target.changes


def test_kubernetes_import_ids_are_the_providers_documented_formats(loaded_example):
    """hashicorp/kubernetes documents each import id in its resource docs ("Import"):
    kubernetes_namespace_v1 `<name>` (docs/resources/namespace_v1.md), kubernetes_role_binding_v1
    `<namespace>/<name>` (role_binding_v1.md), kubernetes_cluster_role_binding_v1 `<name>`
    (cluster_role_binding_v1.md), kubernetes_service_account_v1 `<namespace>/<name>`
    (service_account_v1.md: `terraform import kubernetes_service_account_v1.example
    default/terraform-example`). The namespaces module's instances are addressed through it,
    import blocks being allowed in root modules only (hashicorp/terraform config_build.go)."""
    from conftest import NOW

    from intent.plan import plan_fleet
    from translators.gke.render import rbac_subject, service_accounts

    (plan,) = plan_fleet(loaded_example.intent, NOW, ["prod-euw1"]).clusters

    def listing(*items):
        return {"kind": "List", "items": list(items)}

    def obj(name, namespace=None, **rest):
        meta = {"name": name, **({"namespace": namespace} if namespace else {})}
        return {"metadata": meta, **rest}

    ref = {"kind": "ClusterRole", "name": "edit", "apiGroup": "rbac.authorization.k8s.io"}
    documents = {
        "kubernetes/namespaces.json": listing(obj("payments")),
        "kubernetes/rolebindings.json": listing(obj("fleet-intent:payments:edit", "payments", roleRef=ref)),
        "kubernetes/clusterrolebindings.json": listing(obj("fleet-intent:cluster-admin", roleRef={**ref, "name": "cluster-admin"})),
        "kubernetes/serviceaccounts.json": listing(obj("payments-api", "payments")),
    }
    builder = AdoptionBuilder(plan.name, "gke")
    from translators.kubernetes_adopt import adopt_kubernetes

    adopt_kubernetes(builder, plan, documents, rbac_subject, service_accounts(plan))
    ids = {t.address: t.id for t in builder.build().imports}

    assert ids == {
        'module.namespaces.kubernetes_namespace_v1.this["payments"]': "payments",
        "kubernetes_role_binding_v1.payments_edit": "payments/fleet-intent:payments:edit",
        "kubernetes_cluster_role_binding_v1.cluster-admin": "fleet-intent:cluster-admin",
        "kubernetes_service_account_v1.payments_payments-api": "payments/payments-api",
    }
