"""The generated documents go through AWS's real API shapes, on a moto server at 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from gcp_s3_federation.documents import render
from tools.mock_cloud import PlanResult, run_program, stack_config


@pytest.fixture(scope="module")
def dev_plan() -> PlanResult:
    return run_program("dev", stack_config("dev"))


def _session() -> boto3.Session:
    return boto3.Session(region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def _inputs(plan: PlanResult, typ: str) -> list[dict[str, Any]]:
    return [r.inputs for r in plan.custom_resources if r.type == typ]


def test_roles_and_inline_policies_are_accepted(dev_plan: PlanResult, moto_endpoint: str) -> None:
    iam = _session().client("iam", endpoint_url=moto_endpoint)
    roles = _inputs(dev_plan, "aws:iam/role:Role")
    for role in roles:
        iam.create_role(
            RoleName=role["name"],
            Path=role["path"],
            AssumeRolePolicyDocument=role["assumeRolePolicy"],
            MaxSessionDuration=int(role["maxSessionDuration"]),
            Tags=[{"Key": k, "Value": v} for k, v in role["tags"].items()],
        )
    for policy in _inputs(dev_plan, "aws:iam/rolePolicy:RolePolicy"):
        iam.put_role_policy(RoleName=policy["role"], PolicyName=policy["name"], PolicyDocument=policy["policy"])
        # a managed policy runs moto's IAM document validator
        iam.create_policy(PolicyName=f"check-{policy['role']}", PolicyDocument=policy["policy"])
    stored = iam.get_role(RoleName=roles[0]["name"])["Role"]
    assert stored["Path"] == "/gcp-federation/dev/"
    assert stored["AssumeRolePolicyDocument"] == json.loads(roles[0]["assumeRolePolicy"])


def test_bucket_policy_and_key_policy_are_accepted(dev_plan: PlanResult, moto_endpoint: str) -> None:
    kms = _session().client("kms", endpoint_url=moto_endpoint)
    s3 = _session().client("s3", endpoint_url=moto_endpoint)
    (key_inputs,) = _inputs(dev_plan, "aws:kms/key:Key")
    key = kms.create_key(Policy=key_inputs["policy"], Description=key_inputs["description"])["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    assert json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]) == json.loads(
        key_inputs["policy"]
    )
    (bucket_policy,) = _inputs(dev_plan, "aws:s3/bucketPolicy:BucketPolicy")
    bucket = bucket_policy["bucket"]
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy["policy"])
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(bucket_policy["policy"])


def test_moto_rejects_a_malformed_document(moto_endpoint: str) -> None:
    """Guard for the tests above: the validator on this server does reject bad documents."""
    iam = _session().client("iam", endpoint_url=moto_endpoint)
    bad = render({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]})
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.create_policy(PolicyName="bad", PolicyDocument=bad)
