# The cluster's namespaces and their Pod Security Admission levels (modules/namespaces).
module "namespaces" {
  source = "../../modules/namespaces"

  # The revision of this cluster's plan: every namespace carries it as fleet-intent/revision.
  revision = "sha256:c6fdfeb3bc219652"

  namespaces = {
    "data-ingest" = {
      pod_security = {
        enforce = "baseline"
        audit   = "restricted"
        warn    = "restricted"
        version = "latest"
      }
      labels = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
        "fleet-intent/team"            = "data"
      }
      annotations = {}
    }
    "data-warehouse" = {
      pod_security = {
        enforce = "baseline"
        audit   = "restricted"
        warn    = "restricted"
        version = "v1.30"
      }
      labels = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
        "fleet-intent/team"            = "data"
      }
      annotations = {}
    }
    "payments" = {
      pod_security = {
        enforce = "restricted"
        audit   = "restricted"
        warn    = "restricted"
        version = "latest"
      }
      labels = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
        "fleet-intent/team"            = "payments"
      }
      annotations = {}
    }
    "payments-batch" = {
      pod_security = {
        enforce = "privileged"
        audit   = "restricted"
        warn    = "restricted"
        version = "latest"
      }
      labels = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
        "cost-centre"                  = "42"
        "fleet-intent/team"            = "payments"
      }
      annotations = {}
    }
  }

  # The admission floors first: a namespace lowered by an exception is refused until they are.
  depends_on = [kubernetes_manifest.params_fleet-intent-psa-floor]
}
