resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000001_cluster-admin" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
  role_definition_name = "Azure Kubernetes Service RBAC Cluster Admin"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000001"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000001_cluster-user" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000001"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000002_cluster-user" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000002"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000002_payments-batch_edit" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu/namespaces/payments-batch"
  role_definition_name = "Azure Kubernetes Service RBAC Writer"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000002"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000002_payments_edit" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu/namespaces/payments"
  role_definition_name = "Azure Kubernetes Service RBAC Writer"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000002"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000006_cluster-user" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000006"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000006_data-ingest_edit" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu/namespaces/data-ingest"
  role_definition_name = "Azure Kubernetes Service RBAC Writer"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000006"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000006_data-warehouse_edit" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu/namespaces/data-warehouse"
  role_definition_name = "Azure Kubernetes Service RBAC Writer"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000006"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000010_cluster-user" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000010"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000010_cluster-view" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
  role_definition_name = "Azure Kubernetes Service RBAC Reader"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000010"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "user_6f1c2d3e-0000-4000-8000-000000000003_cluster-user" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu"
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000003"
  principal_type       = "User"
}

resource "azurerm_role_assignment" "user_6f1c2d3e-0000-4000-8000-000000000003_payments-batch_view" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu/namespaces/payments-batch"
  role_definition_name = "Azure Kubernetes Service RBAC Reader"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000003"
  principal_type       = "User"
}

resource "azurerm_role_assignment" "user_6f1c2d3e-0000-4000-8000-000000000003_payments_view" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000a/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu/namespaces/payments"
  role_definition_name = "Azure Kubernetes Service RBAC Reader"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000003"
  principal_type       = "User"
}
