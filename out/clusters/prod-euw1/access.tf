# roles/container.clusterViewer lets each principal fetch credentials for the cluster; what it
# may do inside the cluster comes from the RBAC bindings in rbac.tf.
resource "google_project_iam_member" "group_checkout-leads_at_acme_dot_example" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "group:checkout-leads@acme.example"
}

resource "google_project_iam_member" "group_data-engineers_at_acme_dot_example" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "group:data-engineers@acme.example"
}

resource "google_project_iam_member" "group_payments-devs_at_acme_dot_example" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "group:payments-devs@acme.example"
}

resource "google_project_iam_member" "group_platform-admins_at_acme_dot_example" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "group:platform-admins@acme.example"
}

resource "google_project_iam_member" "group_security-auditors_at_acme_dot_example" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "group:security-auditors@acme.example"
}

resource "google_project_iam_member" "serviceAccount_checkout-deployer_at_acme-prod_dot_iam_dot_gserviceaccount_dot_com" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "serviceAccount:checkout-deployer@acme-prod.iam.gserviceaccount.com"
}

resource "google_project_iam_member" "user_auditor_at_acme_dot_example" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "user:auditor@acme.example"
}
