# Read for oidc_issuer_url only. WARNING: this data source also stores the cluster-admin
# kubeconfig (kube_admin_config_raw, kube_admin_config) in the Terraform state whenever Entra
# ID is on, local accounts are NOT disabled and the caller may list admin credentials
# (terraform-provider-azurerm kubernetes_cluster_data_source.go). Disable local accounts on
# the cluster (check reports FI-AUTH-005 while they are on) and keep this state encrypted with
# access as narrow as cluster-admin's. See docs/generate.md, "AKS roots".
data "azurerm_kubernetes_cluster" "this" {
  name                = "dev-weu"
  resource_group_name = "rg-dev"
}

resource "azurerm_federated_identity_credential" "data-ingest_ingest-worker" {
  provider                  = azurerm.subscription_0b0c0d0e_0000_4000_8000_00000000000a
  name                      = "fleet-intent-dev-weu_data-ingest_ingest-worker"
  user_assigned_identity_id = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ingest-worker"
  audience                  = ["api://AzureADTokenExchange"]
  issuer                    = data.azurerm_kubernetes_cluster.this.oidc_issuer_url
  subject                   = "system:serviceaccount:data-ingest:ingest-worker"
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
      "azure.workload.identity/client-id" = "0b0c0d0e-0000-4000-8000-000000000007"
    }
  }

  depends_on = [module.namespaces]
}
