resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000001_cluster-user" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000b/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/dev-weu"
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000001"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000004_cluster-user" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000b/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/dev-weu"
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000004"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000006_cluster-user" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000b/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/dev-weu"
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000006"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "group_6f1c2d3e-0000-4000-8000-000000000010_cluster-user" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000b/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/dev-weu"
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000010"
  principal_type       = "Group"
}

resource "azurerm_role_assignment" "servicePrincipal_6f1c2d3e-0000-4000-8000-000000000005_cluster-user" {
  scope                = "/subscriptions/0b0c0d0e-0000-4000-8000-00000000000b/resourceGroups/rg-dev/providers/Microsoft.ContainerService/managedClusters/dev-weu"
  role_definition_name = "Azure Kubernetes Service Cluster User Role"
  principal_id         = "6f1c2d3e-0000-4000-8000-000000000005"
  principal_type       = "ServicePrincipal"
}
