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
