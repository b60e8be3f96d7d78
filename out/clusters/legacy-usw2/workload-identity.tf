resource "aws_eks_pod_identity_association" "payments_payments-api" {
  cluster_name    = "legacy-usw2"
  namespace       = "payments"
  service_account = "payments-api"
  role_arn        = "arn:aws:iam::111122223333:role/payments-api"
}
