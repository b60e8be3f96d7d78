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
    name      = "checkout-leads@acme.example"
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
    name      = "checkout-deployer@acme-prod.iam.gserviceaccount.com"
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
    name      = "data-engineers@acme.example"
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
    name      = "data-engineers@acme.example"
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
    name      = "payments-devs@acme.example"
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
    kind      = "User"
    name      = "auditor@acme.example"
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
    name      = "payments-devs@acme.example"
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
    kind      = "User"
    name      = "auditor@acme.example"
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
    name      = "platform-admins@acme.example"
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
    name      = "security-auditors@acme.example"
  }
}
