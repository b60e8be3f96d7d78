# The intent names a kubeconfig context for this cluster (`kubeContext`), so Terraform reaches
# its Kubernetes API through that context (variables.tf), not through the cloud's cluster data.
provider "kubernetes" {
  config_path            = var.kubeconfig_path
  config_context         = var.kubeconfig_context
  host                   = var.kubernetes_host
  cluster_ca_certificate = var.kubernetes_cluster_ca_certificate
  token                  = var.kubernetes_token
}
