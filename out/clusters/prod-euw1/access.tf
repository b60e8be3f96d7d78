# roles/container.clusterViewer lets each principal fetch credentials for the cluster; what it
# may do inside the cluster comes from the RBAC bindings in rbac.tf.
resource "google_project_iam_member" "group_checkout-leads_acme_example_64ae17c0" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "group:checkout-leads@acme.example"
}

resource "google_project_iam_member" "group_data-engineers_acme_example_fee3bade" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "group:data-engineers@acme.example"
}

resource "google_project_iam_member" "group_payments-devs_acme_example_6a82494d" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "group:payments-devs@acme.example"
}

resource "google_project_iam_member" "group_platform-admins_acme_example_37ab3960" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "group:platform-admins@acme.example"
}

resource "google_project_iam_member" "group_security-auditors_acme_example_a62f0113" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "group:security-auditors@acme.example"
}

resource "google_project_iam_member" "serviceAccount_checkout-deployer_acme-prod_iam_gserviceaccount_com_ffd6133e" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "serviceAccount:checkout-deployer@acme-prod.iam.gserviceaccount.com"
}

resource "google_project_iam_member" "user_auditor_acme_example_7859062b" {
  project = "acme-prod"
  role    = "roles/container.clusterViewer"
  member  = "user:auditor@acme.example"
}
