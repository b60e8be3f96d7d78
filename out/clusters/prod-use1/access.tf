# EKS gives the principal that created the cluster an access entry of its own (with
# AmazonEKSClusterAdminPolicy) unless bootstrapClusterCreatorAdminPermissions was false. If that
# principal is below, creating its entry fails with ResourceInUseException: import it first
# (`fleet-intent adopt` writes imports.tf with the import blocks for what exists, docs/adopt.md).

resource "aws_eks_access_entry" "role_111122223333_checkout-lead" {
  cluster_name  = "prod-use1"
  principal_arn = "arn:aws:iam::111122223333:role/checkout-lead"
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "role_111122223333_checkout-lead_admin" {
  cluster_name  = "prod-use1"
  principal_arn = aws_eks_access_entry.role_111122223333_checkout-lead.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"

  access_scope {
    type       = "namespace"
    namespaces = ["checkout"]
  }
}

resource "aws_eks_access_entry" "role_111122223333_ci_slash_checkout-deployer" {
  cluster_name  = "prod-use1"
  principal_arn = "arn:aws:iam::111122223333:role/ci/checkout-deployer"
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "role_111122223333_ci_slash_checkout-deployer_edit" {
  cluster_name  = "prod-use1"
  principal_arn = aws_eks_access_entry.role_111122223333_ci_slash_checkout-deployer.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"

  access_scope {
    type       = "namespace"
    namespaces = ["checkout"]
  }
}

resource "aws_eks_access_entry" "role_111122223333_payments-dev" {
  cluster_name  = "prod-use1"
  principal_arn = "arn:aws:iam::111122223333:role/payments-dev"
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "role_111122223333_payments-dev_edit" {
  cluster_name  = "prod-use1"
  principal_arn = aws_eks_access_entry.role_111122223333_payments-dev.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"

  access_scope {
    type       = "namespace"
    namespaces = ["payments", "payments-batch"]
  }
}

resource "aws_eks_access_entry" "role_111122223333_platform-admin" {
  cluster_name  = "prod-use1"
  principal_arn = "arn:aws:iam::111122223333:role/platform-admin"
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "role_111122223333_platform-admin_cluster-admin" {
  cluster_name  = "prod-use1"
  principal_arn = aws_eks_access_entry.role_111122223333_platform-admin.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

  access_scope {
    type = "cluster"
  }
}

resource "aws_eks_access_entry" "role_111122223333_security-audit" {
  cluster_name  = "prod-use1"
  principal_arn = "arn:aws:iam::111122223333:role/security-audit"
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "role_111122223333_security-audit_view" {
  cluster_name  = "prod-use1"
  principal_arn = aws_eks_access_entry.role_111122223333_security-audit.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"

  access_scope {
    type = "cluster"
  }
}

resource "aws_eks_access_entry" "user_444455556666_payments-auditor" {
  cluster_name  = "prod-use1"
  principal_arn = "arn:aws:iam::444455556666:user/payments-auditor"
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "user_444455556666_payments-auditor_view" {
  cluster_name  = "prod-use1"
  principal_arn = aws_eks_access_entry.user_444455556666_payments-auditor.principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"

  access_scope {
    type       = "namespace"
    namespaces = ["payments", "payments-batch"]
  }
}
