# Terraform reaches the cluster's Kubernetes API at the endpoint EKS reports for this cluster
# (data.aws_eks_cluster.this, providers.tf), with a short-lived token from `aws eks get-token`:
# the token is fetched at each run and never stored in Terraform state. The AWS CLI uses the same
# credentials as the aws provider (AWS_PROFILE, AWS_* variables, SSO, instance roles).
provider "kubernetes" {
  host                   = data.aws_eks_cluster.this.endpoint
  cluster_ca_certificate = base64decode(data.aws_eks_cluster.this.certificate_authority[0].data)

  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = "aws"
    args        = ["eks", "get-token", "--cluster-name", "prod-use1", "--region", "us-east-1", "--output", "json"]
  }
}
