provider "google" {
  project = "acme-prod"
}

# The cluster as GKE reports it: its API endpoint and CA for the kubernetes provider (kubernetes.tf).
data "google_container_cluster" "this" {
  project  = "acme-prod"
  location = "europe-west1"
  name     = "prod-euw1"
}
