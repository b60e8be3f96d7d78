variable "namespaces" {
  description = "Namespaces to create, keyed by name: Pod Security Admission levels, extra labels and annotations."
  type = map(object({
    pod_security = object({
      enforce = string
      audit   = string
      warn    = string
      version = string
    })
    labels      = optional(map(string), {})
    annotations = optional(map(string), {})
  }))

  validation {
    condition = alltrue(flatten([
      for ns in values(var.namespaces) : [
        for level in [ns.pod_security.enforce, ns.pod_security.audit, ns.pod_security.warn] :
        contains(["privileged", "baseline", "restricted"], level)
      ]
    ]))
    error_message = "Pod Security levels are privileged, baseline or restricted."
  }

  validation {
    condition = alltrue([
      for ns in values(var.namespaces) : can(regex("^(latest|v1\\.[0-9]+)$", ns.pod_security.version))
    ])
    error_message = "A Pod Security version is \"latest\" or \"v1.<minor>\"."
  }
}

variable "revision" {
  description = "The revision of the cluster's plan (sha256: and 16 hex digits), stamped on every namespace as the fleet-intent/revision annotation."
  type        = string

  validation {
    condition     = can(regex("^sha256:[0-9a-f]{16}$", var.revision))
    error_message = "A revision is \"sha256:\" and 16 lowercase hex digits."
  }
}
