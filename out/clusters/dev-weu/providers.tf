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

# The cluster as AKS reports it: its OIDC issuer (workload identity), API endpoint and CA
# (kubernetes.tf). WARNING: reading it also stores the cluster-admin kubeconfig
# (kube_admin_config_raw, kube_admin_config) in the Terraform state whenever Entra ID is on,
# local accounts are NOT disabled and the caller may list admin credentials
# (terraform-provider-azurerm kubernetes_cluster_data_source.go). Disable local accounts on the
# cluster (check reports FI-AUTH-005 while they are on) and keep this state encrypted with
# access as narrow as cluster-admin's. See docs/generate.md, "AKS roots".
data "azurerm_kubernetes_cluster" "this" {
  name                = "dev-weu"
  resource_group_name = "rg-dev"
}
