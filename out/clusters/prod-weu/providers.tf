provider "azurerm" {
  features {}
  subscription_id = "0b0c0d0e-0000-4000-8000-00000000000a"
}

# The cluster as AKS reports it: its OIDC issuer (workload identity), API endpoint and CA
# (kubernetes.tf). WARNING: reading it also stores the cluster-admin kubeconfig
# (kube_admin_config_raw, kube_admin_config) in the Terraform state whenever Entra ID is on,
# local accounts are NOT disabled and the caller may list admin credentials
# (terraform-provider-azurerm kubernetes_cluster_data_source.go). Disable local accounts on the
# cluster (check reports FI-AUTH-005 while they are on) and keep this state encrypted with
# access as narrow as cluster-admin's. See docs/generate.md, "AKS roots".
data "azurerm_kubernetes_cluster" "this" {
  name                = "prod-weu"
  resource_group_name = "rg-prod"
}
