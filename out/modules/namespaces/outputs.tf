output "names" {
  description = "The created namespaces' names, keyed by name."
  value       = { for name, ns in kubernetes_namespace_v1.this : name => ns.metadata[0].name }
}

output "labels" {
  description = "The labels of each created namespace, keyed by name."
  value       = { for name, ns in kubernetes_namespace_v1.this : name => ns.metadata[0].labels }
}
