provider "azurerm" {
  features {}
  subscription_id = "0b0c0d0e-0000-4000-8000-00000000000b"
}

# The cluster as AKS reports it: its OIDC issuer (workload identity), API endpoint and CA
# (kubernetes.tf). Reading it also stores the cluster's
# credentials in Terraform state: the user kubeconfig always, and the cluster-admin kubeconfig
# (kube_admin_config_raw) unless the cluster disables local accounts, which check requires
# (FI-AUTH-005). See docs/generate.md, "AKS: what Terraform state holds".
data "azurerm_kubernetes_cluster" "this" {
  name                = "dev-weu"
  resource_group_name = "rg-dev"
}
