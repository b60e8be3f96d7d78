resource "kubernetes_role_binding_v1" "data-ingest_edit" {
  metadata {
    name      = "fleet-intent:data:edit"
    namespace = "data-ingest"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "data"
    }
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "edit"
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = "fleet-intent:data:edit"
  }

  depends_on = [module.namespaces]
}

resource "kubernetes_role_binding_v1" "data-warehouse_edit" {
  metadata {
    name      = "fleet-intent:data:edit"
    namespace = "data-warehouse"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "data"
    }
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "edit"
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = "fleet-intent:data:edit"
  }

  depends_on = [module.namespaces]
}

resource "kubernetes_role_binding_v1" "payments-batch_edit" {
  metadata {
    name      = "fleet-intent:payments:edit"
    namespace = "payments-batch"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "payments"
    }
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "edit"
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = "fleet-intent:payments:edit"
  }

  depends_on = [module.namespaces]
}

resource "kubernetes_role_binding_v1" "payments-batch_view" {
  metadata {
    name      = "fleet-intent:payments:view"
    namespace = "payments-batch"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "payments"
    }
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "view"
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = "fleet-intent:payments:view"
  }

  depends_on = [module.namespaces]
}

resource "kubernetes_role_binding_v1" "payments_edit" {
  metadata {
    name      = "fleet-intent:payments:edit"
    namespace = "payments"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "payments"
    }
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "edit"
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = "fleet-intent:payments:edit"
  }

  depends_on = [module.namespaces]
}

resource "kubernetes_role_binding_v1" "payments_view" {
  metadata {
    name      = "fleet-intent:payments:view"
    namespace = "payments"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "payments"
    }
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "view"
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = "fleet-intent:payments:view"
  }

  depends_on = [module.namespaces]
}

resource "kubernetes_cluster_role_binding_v1" "cluster-admin" {
  metadata {
    name = "fleet-intent:cluster-admin"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
    }
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "cluster-admin"
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = "fleet-intent:cluster-admin"
  }

  depends_on = [kubernetes_manifest.params_fleet-intent-cluster-admin-guard]
}

resource "kubernetes_cluster_role_binding_v1" "cluster-view" {
  metadata {
    name = "fleet-intent:cluster-view"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
    }
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "view"
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = "fleet-intent:cluster-view"
  }
}
