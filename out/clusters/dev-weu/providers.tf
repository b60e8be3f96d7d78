provider "azurerm" {
  features {}
  subscription_id = "0b0c0d0e-0000-4000-8000-00000000000b"
}

# Federated identity credentials of the managed identities in subscription
# "0b0c0d0e-0000-4000-8000-00000000000a" go through this provider: azurerm creates a credential
# in its provider's subscription, not in the one of user_assigned_identity_id.
provider "azurerm" {
  alias           = "subscription_0b0c0d0e_0000_4000_8000_00000000000a"
  subscription_id = "0b0c0d0e-0000-4000-8000-00000000000a"
  features {}
}

provider "kubernetes" {
  config_path            = var.kubeconfig_path
  config_context         = var.kubeconfig_context
  host                   = var.kubernetes_host
  cluster_ca_certificate = var.kubernetes_cluster_ca_certificate
  token                  = var.kubernetes_token
}
