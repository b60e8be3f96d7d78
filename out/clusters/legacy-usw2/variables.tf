# How Terraform reaches the cluster's Kubernetes API. Either keep the kubeconfig defaults
# (a kubeconfig holding the context below) or set kubernetes_host, kubernetes_cluster_ca_certificate
# and kubernetes_token (and kubeconfig_path = null), e.g. in a terraform.tfvars next to this file.

variable "kubeconfig_path" {
  description = "Path of the kubeconfig file to read (null: use only the kubernetes_* variables)."
  type        = string
  default     = "~/.kube/config"
}

variable "kubeconfig_context" {
  description = "Context of the kubeconfig that points at this cluster."
  type        = string
  default     = "legacy-usw2"
}

variable "kubernetes_host" {
  description = "URL of the cluster's API server (overrides the kubeconfig)."
  type        = string
  default     = null
}

variable "kubernetes_cluster_ca_certificate" {
  description = "PEM-encoded CA certificate of the API server (with kubernetes_host)."
  type        = string
  default     = null
}

variable "kubernetes_token" {
  description = "Bearer token for the API server (with kubernetes_host)."
  type        = string
  default     = null
  sensitive   = true
}
