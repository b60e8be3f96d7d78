resource "google_service_account_iam_member" "checkout_checkout-web" {
  service_account_id = "projects/acme-prod/serviceAccounts/checkout-web@acme-prod.iam.gserviceaccount.com"
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:acme-prod.svc.id.goog[checkout/checkout-web]"
}

resource "google_service_account_iam_member" "data-ingest_ingest-worker" {
  service_account_id = "projects/acme-data/serviceAccounts/ingest-worker@acme-data.iam.gserviceaccount.com"
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:acme-prod.svc.id.goog[data-ingest/ingest-worker]"
}

resource "google_service_account_iam_member" "payments_payments-api" {
  service_account_id = "projects/acme-prod/serviceAccounts/payments-api@acme-prod.iam.gserviceaccount.com"
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:acme-prod.svc.id.goog[payments/payments-api]"
}

resource "kubernetes_service_account_v1" "checkout_checkout-web" {
  metadata {
    name      = "checkout-web"
    namespace = "checkout"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "checkout"
    }
    annotations = {
      "iam.gke.io/gcp-service-account" = "checkout-web@acme-prod.iam.gserviceaccount.com"
    }
  }

  depends_on = [module.namespaces]
}

resource "kubernetes_service_account_v1" "data-ingest_ingest-worker" {
  metadata {
    name      = "ingest-worker"
    namespace = "data-ingest"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "data"
    }
    annotations = {
      "iam.gke.io/gcp-service-account" = "ingest-worker@acme-data.iam.gserviceaccount.com"
    }
  }

  depends_on = [module.namespaces]
}

resource "kubernetes_service_account_v1" "payments_payments-api" {
  metadata {
    name      = "payments-api"
    namespace = "payments"
    labels = {
      "app.kubernetes.io/managed-by" = "fleet-intent"
      "fleet-intent/team"            = "payments"
    }
    annotations = {
      "iam.gke.io/gcp-service-account" = "payments-api@acme-prod.iam.gserviceaccount.com"
    }
  }

  depends_on = [module.namespaces]
}
