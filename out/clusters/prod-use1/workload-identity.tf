resource "aws_eks_pod_identity_association" "checkout_checkout-web" {
  cluster_name    = "prod-use1"
  namespace       = "checkout"
  service_account = "checkout-web"
  role_arn        = "arn:aws:iam::111122223333:role/checkout-web"
}

resource "aws_eks_pod_identity_association" "payments_payments-api" {
  cluster_name    = "prod-use1"
  namespace       = "payments"
  service_account = "payments-api"
  role_arn        = "arn:aws:iam::111122223333:role/payments-api"
}
