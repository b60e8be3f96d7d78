# The aws-auth ConfigMap's mapRoles and mapUsers, rewritten from the intent. They are the `data`
# of manifests/aws-auth.yaml; this resource patches only those data keys of the existing
# ConfigMap (never its labels or other keys).
# `force` takes over mapRoles/mapUsers from whichever manager wrote them before, so a mapping
# added by hand (a forgotten admin group, say) is removed on apply.
# Before the first apply: kube-system/aws-auth must already exist (this resource cannot create
# it); on a cluster with only self-managed nodes, `kubectl apply -f manifests/aws-auth.yaml` first.
# Destroying this resource would apply empty data with force and strip the node-role mappings,
# locking every node out, so Terraform refuses to; to hand aws-auth back, run
# `terraform state rm kubernetes_config_map_v1_data.aws_auth` (see docs/generate.md).
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

  lifecycle {
    prevent_destroy = true
  }
}
