# The cluster's namespaces and their Pod Security Admission levels (modules/namespaces).
module "namespaces" {
  source = "../../modules/namespaces"

  # The revision of this cluster's plan: every namespace carries it as fleet-intent/revision.
  revision = "sha256:a0ea71d70d31b3bd"

  namespaces = {
    "checkout" = {
      pod_security = {
        enforce = "restricted"
        audit   = "restricted"
        warn    = "restricted"
        version = "latest"
      }
      labels = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
        "fleet-intent/team"            = "checkout"
        "tier"                         = "frontend"
      }
      annotations = {
        "acme.example/runbook" = "https://runbooks.acme.example/checkout"
      }
    }
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
  }

  # The admission floors first: a namespace lowered by an exception is refused until they are.
  depends_on = [kubernetes_manifest.params_fleet-intent-psa-floor]
}
