resource "kubernetes_manifest" "namespace_fleet-intent-system" {
  manifest = {
    "apiVersion" = "v1"
    "kind"       = "Namespace"
    "metadata" = {
      "name" = "fleet-intent-system"
      "labels" = {
        "app.kubernetes.io/managed-by"               = "fleet-intent"
        "pod-security.kubernetes.io/enforce"         = "baseline"
        "pod-security.kubernetes.io/enforce-version" = "latest"
        "pod-security.kubernetes.io/audit"           = "restricted"
        "pod-security.kubernetes.io/audit-version"   = "latest"
        "pod-security.kubernetes.io/warn"            = "restricted"
        "pod-security.kubernetes.io/warn-version"    = "latest"
      }
    }
  }
}

resource "kubernetes_manifest" "params_fleet-intent-psa-floor" {
  manifest = {
    "apiVersion" = "v1"
    "kind"       = "ConfigMap"
    "metadata" = {
      "name"      = "fleet-intent-psa-floor"
      "namespace" = "fleet-intent-system"
      "labels" = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
      }
    }
    "data" = {
      "enforce"                = "baseline"
      "audit"                  = "restricted"
      "warn"                   = "restricted"
      "version"                = "latest"
      "data-ingest.enforce"    = "baseline"
      "data-ingest.audit"      = "restricted"
      "data-ingest.warn"       = "restricted"
      "data-ingest.version"    = "latest"
      "data-warehouse.enforce" = "baseline"
      "data-warehouse.audit"   = "restricted"
      "data-warehouse.warn"    = "restricted"
      "data-warehouse.version" = "v1.30"
      "payments.enforce"       = "restricted"
      "payments.audit"         = "restricted"
      "payments.warn"          = "restricted"
      "payments.version"       = "latest"
      "payments-batch.enforce" = "privileged"
      "payments-batch.audit"   = "restricted"
      "payments-batch.warn"    = "restricted"
      "payments-batch.version" = "latest"
      "ignore"                 = "^(amazon-cloudwatch|amazon-guardduty|aws-observability|kube-node-lease|kube-public|kube-system)$"
    }
  }

  depends_on = [kubernetes_manifest.namespace_fleet-intent-system]
}

resource "kubernetes_manifest" "params_fleet-intent-cluster-admin-guard" {
  manifest = {
    "apiVersion" = "v1"
    "kind"       = "ConfigMap"
    "metadata" = {
      "name"      = "fleet-intent-cluster-admin-guard"
      "namespace" = "fleet-intent-system"
      "labels" = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
      }
    }
    "data" = {
      "Group.fleet-intent.cluster-admin.57da7fc2" = "Group:fleet-intent:cluster-admin"
      "Group.system.masters.768ab288"             = "Group:system:masters"
    }
  }

  depends_on = [kubernetes_manifest.namespace_fleet-intent-system]
}

resource "kubernetes_manifest" "policy_fleet-intent-psa-floor" {
  manifest = {
    "apiVersion" = "admissionregistration.k8s.io/v1"
    "kind"       = "ValidatingAdmissionPolicy"
    "metadata" = {
      "name" = "fleet-intent-psa-floor"
      "labels" = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
      }
    }
    "spec" = {
      "failurePolicy" = "Fail"
      "paramKind" = {
        "apiVersion" = "v1"
        "kind"       = "ConfigMap"
      }
      "matchConstraints" = {
        "resourceRules" = [
          {
            "apiGroups"   = [""]
            "apiVersions" = ["v1"]
            "operations"  = ["CREATE", "UPDATE"]
            "resources"   = ["namespaces"]
          },
        ]
      }
      "variables" = [
        {
          "name"       = "labels"
          "expression" = "has(object.metadata.labels) ? object.metadata.labels : {\"\": \"\"}"
        },
        {
          "name"       = "prefix"
          "expression" = "(object.metadata.name + \".enforce\") in params.data ? object.metadata.name + \".\" : \"\""
        },
        {
          "name"       = "exempt"
          "expression" = "has(object.metadata.deletionTimestamp) || (variables.prefix == \"\" && \"ignore\" in params.data && object.metadata.name.matches(params.data[\"ignore\"]))"
        },
        {
          "name"       = "ranks"
          "expression" = "{\"privileged\": 0, \"baseline\": 1, \"restricted\": 2}"
        },
        {
          "name"       = "floorVersion"
          "expression" = "params.data[variables.prefix + \"version\"]"
        },
        {
          "name"       = "enforce"
          "expression" = "\"pod-security.kubernetes.io/enforce\" in variables.labels ? variables.labels[\"pod-security.kubernetes.io/enforce\"] : \"\""
        },
        {
          "name"       = "enforceVersion"
          "expression" = "\"pod-security.kubernetes.io/enforce-version\" in variables.labels ? variables.labels[\"pod-security.kubernetes.io/enforce-version\"] : \"latest\""
        },
        {
          "name"       = "audit"
          "expression" = "\"pod-security.kubernetes.io/audit\" in variables.labels ? variables.labels[\"pod-security.kubernetes.io/audit\"] : \"\""
        },
        {
          "name"       = "auditVersion"
          "expression" = "\"pod-security.kubernetes.io/audit-version\" in variables.labels ? variables.labels[\"pod-security.kubernetes.io/audit-version\"] : \"latest\""
        },
        {
          "name"       = "warn"
          "expression" = "\"pod-security.kubernetes.io/warn\" in variables.labels ? variables.labels[\"pod-security.kubernetes.io/warn\"] : \"\""
        },
        {
          "name"       = "warnVersion"
          "expression" = "\"pod-security.kubernetes.io/warn-version\" in variables.labels ? variables.labels[\"pod-security.kubernetes.io/warn-version\"] : \"latest\""
        },
      ]
      "validations" = [
        {
          "expression"        = "variables.exempt || (variables.enforce in variables.ranks && variables.ranks[variables.enforce] >= variables.ranks[params.data[variables.prefix + \"enforce\"]])"
          "messageExpression" = "\"namespace \" + object.metadata.name + \": pod-security.kubernetes.io/enforce must be \" + params.data[variables.prefix + \"enforce\"] + \" or stricter (fleet-intent security intent)\""
          "message"           = "pod-security.kubernetes.io/enforce is missing or weaker than the security intent's floor for this namespace"
          "reason"            = "Forbidden"
        },
        {
          "expression"        = "variables.exempt || variables.enforceVersion == \"latest\" || (variables.floorVersion != \"latest\" && variables.enforceVersion.matches(\"^v1\\\\.(0|[1-9][0-9]*)$\") && (size(variables.enforceVersion) > size(variables.floorVersion) || (size(variables.enforceVersion) == size(variables.floorVersion) && variables.enforceVersion >= variables.floorVersion)))"
          "messageExpression" = "\"namespace \" + object.metadata.name + \": pod-security.kubernetes.io/enforce-version must be \" + variables.floorVersion + \" or newer (fleet-intent security intent)\""
          "message"           = "pod-security.kubernetes.io/enforce-version pins an older policy version than the security intent's"
          "reason"            = "Forbidden"
        },
        {
          "expression"        = "variables.exempt || (variables.audit in variables.ranks && variables.ranks[variables.audit] >= variables.ranks[params.data[variables.prefix + \"audit\"]])"
          "messageExpression" = "\"namespace \" + object.metadata.name + \": pod-security.kubernetes.io/audit must be \" + params.data[variables.prefix + \"audit\"] + \" or stricter (fleet-intent security intent)\""
          "message"           = "pod-security.kubernetes.io/audit is missing or weaker than the security intent's floor for this namespace"
          "reason"            = "Forbidden"
        },
        {
          "expression"        = "variables.exempt || variables.auditVersion == \"latest\" || (variables.floorVersion != \"latest\" && variables.auditVersion.matches(\"^v1\\\\.(0|[1-9][0-9]*)$\") && (size(variables.auditVersion) > size(variables.floorVersion) || (size(variables.auditVersion) == size(variables.floorVersion) && variables.auditVersion >= variables.floorVersion)))"
          "messageExpression" = "\"namespace \" + object.metadata.name + \": pod-security.kubernetes.io/audit-version must be \" + variables.floorVersion + \" or newer (fleet-intent security intent)\""
          "message"           = "pod-security.kubernetes.io/audit-version pins an older policy version than the security intent's"
          "reason"            = "Forbidden"
        },
        {
          "expression"        = "variables.exempt || (variables.warn in variables.ranks && variables.ranks[variables.warn] >= variables.ranks[params.data[variables.prefix + \"warn\"]])"
          "messageExpression" = "\"namespace \" + object.metadata.name + \": pod-security.kubernetes.io/warn must be \" + params.data[variables.prefix + \"warn\"] + \" or stricter (fleet-intent security intent)\""
          "message"           = "pod-security.kubernetes.io/warn is missing or weaker than the security intent's floor for this namespace"
          "reason"            = "Forbidden"
        },
        {
          "expression"        = "variables.exempt || variables.warnVersion == \"latest\" || (variables.floorVersion != \"latest\" && variables.warnVersion.matches(\"^v1\\\\.(0|[1-9][0-9]*)$\") && (size(variables.warnVersion) > size(variables.floorVersion) || (size(variables.warnVersion) == size(variables.floorVersion) && variables.warnVersion >= variables.floorVersion)))"
          "messageExpression" = "\"namespace \" + object.metadata.name + \": pod-security.kubernetes.io/warn-version must be \" + variables.floorVersion + \" or newer (fleet-intent security intent)\""
          "message"           = "pod-security.kubernetes.io/warn-version pins an older policy version than the security intent's"
          "reason"            = "Forbidden"
        },
      ]
    }
  }
}

resource "kubernetes_manifest" "binding_fleet-intent-psa-floor" {
  manifest = {
    "apiVersion" = "admissionregistration.k8s.io/v1"
    "kind"       = "ValidatingAdmissionPolicyBinding"
    "metadata" = {
      "name" = "fleet-intent-psa-floor"
      "labels" = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
      }
    }
    "spec" = {
      "policyName"        = "fleet-intent-psa-floor"
      "validationActions" = ["Warn", "Audit"]
      "paramRef" = {
        "name"                    = "fleet-intent-psa-floor"
        "namespace"               = "fleet-intent-system"
        "parameterNotFoundAction" = "Deny"
      }
    }
  }

  depends_on = [kubernetes_manifest.policy_fleet-intent-psa-floor, kubernetes_manifest.params_fleet-intent-psa-floor]
}

resource "kubernetes_manifest" "policy_fleet-intent-cluster-admin-guard" {
  manifest = {
    "apiVersion" = "admissionregistration.k8s.io/v1"
    "kind"       = "ValidatingAdmissionPolicy"
    "metadata" = {
      "name" = "fleet-intent-cluster-admin-guard"
      "labels" = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
      }
    }
    "spec" = {
      "failurePolicy" = "Fail"
      "paramKind" = {
        "apiVersion" = "v1"
        "kind"       = "ConfigMap"
      }
      "matchConstraints" = {
        "resourceRules" = [
          {
            "apiGroups"   = ["rbac.authorization.k8s.io"]
            "apiVersions" = ["v1"]
            "operations"  = ["CREATE", "UPDATE"]
            "resources"   = ["clusterrolebindings", "rolebindings"]
          },
        ]
      }
      "matchConditions" = [
        {
          "name"       = "binds-cluster-admin"
          "expression" = "object.roleRef.kind == \"ClusterRole\" && object.roleRef.name == \"cluster-admin\""
        },
      ]
      "validations" = [
        {
          "expression" = "!has(object.subjects) || object.subjects.all(s, params.data.exists(k, params.data[k] == (s.kind == \"ServiceAccount\" ? \"ServiceAccount:\" + (has(s.namespace) ? s.namespace : \"\") + \"/\" + s.name : s.kind + \":\" + s.name)) || (request.operation == \"UPDATE\" && has(oldObject.subjects) && oldObject.subjects.exists(o, o.kind == s.kind && o.name == s.name && (has(o.namespace) ? o.namespace : \"\") == (has(s.namespace) ? s.namespace : \"\"))))"
          "message"    = "cluster-admin may be bound only to the subjects the security intent names as cluster-admins"
          "reason"     = "Forbidden"
        },
      ]
    }
  }
}

resource "kubernetes_manifest" "binding_fleet-intent-cluster-admin-guard" {
  manifest = {
    "apiVersion" = "admissionregistration.k8s.io/v1"
    "kind"       = "ValidatingAdmissionPolicyBinding"
    "metadata" = {
      "name" = "fleet-intent-cluster-admin-guard"
      "labels" = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
      }
    }
    "spec" = {
      "policyName"        = "fleet-intent-cluster-admin-guard"
      "validationActions" = ["Warn", "Audit"]
      "paramRef" = {
        "name"                    = "fleet-intent-cluster-admin-guard"
        "namespace"               = "fleet-intent-system"
        "parameterNotFoundAction" = "Deny"
      }
    }
  }

  depends_on = [kubernetes_manifest.policy_fleet-intent-cluster-admin-guard, kubernetes_manifest.params_fleet-intent-cluster-admin-guard]
}

resource "kubernetes_manifest" "policy_fleet-intent-aws-auth-guard" {
  manifest = {
    "apiVersion" = "admissionregistration.k8s.io/v1"
    "kind"       = "ValidatingAdmissionPolicy"
    "metadata" = {
      "name" = "fleet-intent-aws-auth-guard"
      "labels" = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
      }
    }
    "spec" = {
      "failurePolicy" = "Fail"
      "matchConstraints" = {
        "resourceRules" = [
          {
            "apiGroups"     = [""]
            "apiVersions"   = ["v1"]
            "operations"    = ["CREATE", "UPDATE"]
            "resources"     = ["configmaps"]
            "resourceNames" = ["aws-auth"]
          },
        ]
      }
      "matchConditions" = [
        {
          "name"       = "kube-system"
          "expression" = "request.namespace == \"kube-system\""
        },
      ]
      "validations" = [
        {
          "expression" = "!has(object.data) || object.data.all(k, !object.data[k].contains(\"system:masters\"))"
          "message"    = "aws-auth must not map anyone to system:masters (grant cluster-admin through the security intent)"
          "reason"     = "Forbidden"
        },
        {
          "expression" = "!has(object.data) || object.data.all(k, !object.data[k].contains(\"\\\\\"))"
          "message"    = "aws-auth must not hold a backslash: a YAML escape can spell system:masters in other characters"
          "reason"     = "Forbidden"
        },
      ]
    }
  }
}

resource "kubernetes_manifest" "binding_fleet-intent-aws-auth-guard" {
  manifest = {
    "apiVersion" = "admissionregistration.k8s.io/v1"
    "kind"       = "ValidatingAdmissionPolicyBinding"
    "metadata" = {
      "name" = "fleet-intent-aws-auth-guard"
      "labels" = {
        "app.kubernetes.io/managed-by" = "fleet-intent"
      }
    }
    "spec" = {
      "policyName"        = "fleet-intent-aws-auth-guard"
      "validationActions" = ["Warn", "Audit"]
    }
  }

  depends_on = [kubernetes_manifest.policy_fleet-intent-aws-auth-guard]
}
