# Terraform reaches the cluster's Kubernetes API at the endpoint GKE reports for this cluster
# (data.google_container_cluster.this, providers.tf), with a short-lived token from
# gke-gcloud-auth-plugin, run at each plan and apply: no token is stored in Terraform state
# (google_client_config's access_token would be). The plugin uses gcloud's credentials.
provider "kubernetes" {
  host                   = format("https://%s", data.google_container_cluster.this.endpoint)
  cluster_ca_certificate = base64decode(data.google_container_cluster.this.master_auth[0].cluster_ca_certificate)

  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = "gke-gcloud-auth-plugin"
  }
}
