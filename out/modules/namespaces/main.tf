# One namespace per entry. The Pod Security Admission labels are set last so that no extra
# label can weaken them; the Kubernetes provider only manages *.kubernetes.io labels that
# appear in the configuration, which is why they are written out here. The revision annotation
# is set last too: it says which plan the namespace was applied from (`check` reads it).
resource "kubernetes_namespace_v1" "this" {
  for_each = var.namespaces

  metadata {
    name = each.key
    labels = merge(each.value.labels, {
      "pod-security.kubernetes.io/enforce"         = each.value.pod_security.enforce
      "pod-security.kubernetes.io/enforce-version" = each.value.pod_security.version
      "pod-security.kubernetes.io/audit"           = each.value.pod_security.audit
      "pod-security.kubernetes.io/audit-version"   = each.value.pod_security.version
      "pod-security.kubernetes.io/warn"            = each.value.pod_security.warn
      "pod-security.kubernetes.io/warn-version"    = each.value.pod_security.version
    })
    annotations = merge(each.value.annotations, {
      "fleet-intent/revision" = var.revision
    })
  }
}
