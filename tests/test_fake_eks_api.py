"""The stateful EKS fake (tests/fakes/eks_api.py) read through boto3 itself: its errors and
pagination are what botocore's EKS model (eks/2017-11-01/service-2.json) makes of them, so the
Go SDK inside the Terraform AWS provider gets the same answers."""

from __future__ import annotations

import boto3
import botocore.config
import pytest
from fakes.eks_api import EksApi, serve_eks_api
from fakes.fleet import COMPLIANT
from fakes.providers import AWS_KEY_ID


@pytest.fixture
def eks_client():
    """boto3's EKS client on the stateful fake, holding prod-use1 as it is before any apply."""
    api = EksApi("111122223333")
    api.seed_from_snapshot(COMPLIANT, "prod-use1")
    with serve_eks_api(api) as running:
        session = boto3.session.Session(aws_access_key_id=AWS_KEY_ID, aws_secret_access_key="fake-secret",
                                        region_name="us-east-1")
        client = session.client("eks", endpoint_url=running.eks.url,
                                config=botocore.config.Config(retries={"total_max_attempts": 1}))
        yield client
        client.close()  # its keep-alive connections would hold the fake's handler threads open


def test_fake_eks_duplicate_create_is_resource_in_use(eks_client):
    principal = "arn:aws:iam::111122223333:role/ci/deployer"
    created = eks_client.create_access_entry(clusterName="prod-use1", principalArn=principal)["accessEntry"]

    assert created["username"] == "arn:aws:sts::111122223333:assumed-role/deployer/{{SessionName}}"
    assert created["type"] == "STANDARD"
    with pytest.raises(eks_client.exceptions.ResourceInUseException):
        eks_client.create_access_entry(clusterName="prod-use1", principalArn=principal)


def test_fake_eks_missing_objects_are_resource_not_found(eks_client):
    with pytest.raises(eks_client.exceptions.ResourceNotFoundException):
        eks_client.describe_access_entry(clusterName="prod-use1", principalArn="arn:aws:iam::111122223333:role/nobody")
    with pytest.raises(eks_client.exceptions.ResourceNotFoundException):
        eks_client.describe_pod_identity_association(clusterName="prod-use1", associationId="a-00000000000000000")
    with pytest.raises(eks_client.exceptions.ResourceNotFoundException):
        eks_client.describe_cluster(name="no-such-cluster")


def test_fake_eks_lists_paginate_and_reassociation_changes_scope(eks_client):
    principal = "arn:aws:iam::444455556666:user/auditor"
    eks_client.create_access_entry(clusterName="prod-use1", principalArn=principal)
    for name in ("a", "b", "c"):
        eks_client.create_access_entry(clusterName="prod-use1", principalArn=f"arn:aws:iam::111122223333:role/{name}")
    policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    eks_client.associate_access_policy(clusterName="prod-use1", principalArn=principal, policyArn=policy,
                                       accessScope={"type": "namespace", "namespaces": ["x"]})
    eks_client.associate_access_policy(clusterName="prod-use1", principalArn=principal, policyArn=policy,
                                       accessScope={"type": "cluster"})

    pages = list(eks_client.get_paginator("list_access_entries").paginate(clusterName="prod-use1"))
    (association,) = eks_client.list_associated_access_policies(
        clusterName="prod-use1", principalArn=principal)["associatedAccessPolicies"]

    assert len(pages) > 1
    assert len([arn for p in pages for arn in p["accessEntries"]]) == 5  # the seeded node role entry too
    assert association["accessScope"] == {"type": "cluster", "namespaces": []}


def test_fake_eks_pod_identity_duplicate_and_delete(eks_client):
    args = {"clusterName": "prod-use1", "namespace": "payments", "serviceAccount": "api",
            "roleArn": "arn:aws:iam::111122223333:role/api"}
    created = eks_client.create_pod_identity_association(**args)["association"]
    with pytest.raises(eks_client.exceptions.ResourceInUseException):
        eks_client.create_pod_identity_association(**args)

    eks_client.delete_pod_identity_association(clusterName="prod-use1", associationId=created["associationId"])

    assert eks_client.list_pod_identity_associations(clusterName="prod-use1")["associations"] == []
