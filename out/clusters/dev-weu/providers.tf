provider "azurerm" {
  features {}
  subscription_id = "0b0c0d0e-0000-4000-8000-00000000000b"
}

provider "kubernetes" {
  config_path            = var.kubeconfig_path
  config_context         = var.kubeconfig_context
  host                   = var.kubernetes_host
  cluster_ca_certificate = var.kubernetes_cluster_ca_certificate
  token                  = var.kubernetes_token
}
