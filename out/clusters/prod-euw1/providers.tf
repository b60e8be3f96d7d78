provider "google" {
  project = "acme-prod"
}

provider "kubernetes" {
  config_path            = var.kubeconfig_path
  config_context         = var.kubeconfig_context
  host                   = var.kubernetes_host
  cluster_ca_certificate = var.kubernetes_cluster_ca_certificate
  token                  = var.kubernetes_token
}
