# Terraform reaches the cluster's Kubernetes API at the endpoint AKS reports for this cluster
# (data.azurerm_kubernetes_cluster.this, providers.tf), with an Entra ID token from kubelogin
# (Azure/kubelogin), run at each plan and apply. 6dae42f8-… is the application id of the
# Azure Kubernetes Service AAD Server, the audience of AKS's Entra ID tokens.
provider "kubernetes" {
  host                   = data.azurerm_kubernetes_cluster.this.kube_config[0].host
  cluster_ca_certificate = base64decode(data.azurerm_kubernetes_cluster.this.kube_config[0].cluster_ca_certificate)

  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = "kubelogin"
    args        = ["get-token", "--login", var.kubelogin_login, "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]
  }
}

variable "kubelogin_login" {
  description = "How kubelogin signs in: azurecli (after az login), workloadidentity, spn, msi or azd."
  type        = string
  default     = "azurecli"
}
