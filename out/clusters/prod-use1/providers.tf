provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["111122223333"]
}

# The cluster as EKS reports it: its API endpoint and CA for the kubernetes provider (kubernetes.tf).
data "aws_eks_cluster" "this" {
  name = "prod-use1"
}
