resource "kubernetes_role_binding_v1" "checkout_admin" {
  metadata {
    name      = "fleet-intent:checkout:admin"
    namespace = "checkout"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "checkout"
    }
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "admin"
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Group"
    name      = "6f1c2d3e-0000-4000-8000-000000000004"
  }

  depends_on = [module.namespaces]
}

resource "kubernetes_role_binding_v1" "checkout_edit" {
  metadata {
    name      = "fleet-intent:checkout:edit"
    namespace = "checkout"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "checkout"
    }
  }

  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = "edit"
  }

  subject {
    api_group = "rbac.authorization.k8s.io"
    kind      = "User"
    name      = "6f1c2d3e-0000-4000-8000-000000000005"
  }

  depends_on = [module.namespaces]
}

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
    name      = "6f1c2d3e-0000-4000-8000-000000000006"
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
    name      = "6f1c2d3e-0000-4000-8000-000000000006"
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
    name      = "6f1c2d3e-0000-4000-8000-000000000001"
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
    name      = "6f1c2d3e-0000-4000-8000-000000000010"
  }
}
