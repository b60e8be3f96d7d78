# The aws-auth ConfigMap, rewritten from the intent (the same content as manifests/aws-auth.yaml).
# `force` takes over mapRoles/mapUsers from whichever manager wrote them before, so a mapping
# added by hand (a forgotten admin group, say) is removed on apply.
resource "kubernetes_config_map_v1_data" "aws_auth" {
  metadata {
    name      = "aws-auth"
    namespace = "kube-system"
  }

  data = {
    mapRoles = yamlencode([
      {
        rolearn  = "arn:aws:iam::111122223333:role/legacy-usw2-nodes"
        username = "system:node:{{EC2PrivateDNSName}}"
        groups   = ["system:bootstrappers", "system:nodes"]
      },
      {
        rolearn  = "arn:aws:iam::111122223333:role/data-engineers"
        username = "arn:aws:sts::111122223333:assumed-role/data-engineers/{{SessionName}}"
        groups   = ["fleet-intent:data:edit"]
      },
      {
        rolearn  = "arn:aws:iam::111122223333:role/payments-dev"
        username = "arn:aws:sts::111122223333:assumed-role/payments-dev/{{SessionName}}"
        groups   = ["fleet-intent:payments:edit"]
      },
      {
        rolearn  = "arn:aws:iam::111122223333:role/platform-admin"
        username = "arn:aws:sts::111122223333:assumed-role/platform-admin/{{SessionName}}"
        groups   = ["fleet-intent:cluster-admin"]
      },
      {
        rolearn  = "arn:aws:iam::111122223333:role/security-audit"
        username = "arn:aws:sts::111122223333:assumed-role/security-audit/{{SessionName}}"
        groups   = ["fleet-intent:cluster-view"]
      },
    ])
    mapUsers = yamlencode([
      {
        userarn  = "arn:aws:iam::444455556666:user/payments-auditor"
        username = "arn:aws:iam::444455556666:user/payments-auditor"
        groups   = ["fleet-intent:payments:view"]
      },
    ])
  }

  force = true
}
