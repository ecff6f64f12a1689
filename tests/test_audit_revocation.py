"""Audit trail and emergency revocation: documents, config, components under mocks, and moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from gcp_aws_credentials.evaluate import Decision, Request, evaluate
from gcp_s3_federation.audit import data_event_selectors
from gcp_s3_federation.config import ConfigError, load_config
from gcp_s3_federation.documents import (
    audit_log_bucket_policy,
    audit_log_key_policy,
    render,
    revoke_sessions_policy,
    suspended_trust_policy,
    trail_arn,
)
from tools.mock_cloud import CONFIG_KEY, PlanResult, RecordedResource, run_program, stack_config

TRAIL = trail_arn("111122223333", "eu-west-1", "gcp-federation-dev")
AN_HOUR_AGO = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)


def test_revoke_sessions_document() -> None:
    assert revoke_sessions_policy("2026-11-23T10:00:00Z")["Statement"] == [
        {
            "Sid": "RevokeOlderSessions",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-11-23T10:00:00Z"}},
        }
    ]


def test_suspended_trust_allows_nobody() -> None:
    (statement,) = suspended_trust_policy("accounts.google.com")["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == "sts:AssumeRoleWithWebIdentity"


def test_audit_bucket_policy_is_write_only_for_cloudtrail() -> None:
    by_sid = {s["Sid"]: s for s in audit_log_bucket_policy("logs", "111122223333", TRAIL)["Statement"]}
    assert by_sid["CloudTrailWritesLogs"]["Resource"] == "arn:aws:s3:::logs/AWSLogs/111122223333/*"
    assert by_sid["CloudTrailWritesLogs"]["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL}}
    assert by_sid["DenyLogDeletion"]["Action"] == ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    allows = [s for s in by_sid.values() if s["Effect"] == "Allow"]
    assert all(s["Principal"] == {"Service": "cloudtrail.amazonaws.com"} for s in allows)


def test_audit_key_policy_scopes_cloudtrail_to_the_trail() -> None:
    by_sid = {s["Sid"]: s for s in audit_log_key_policy("111122223333", TRAIL)["Statement"]}
    assert by_sid["CloudTrailEncryptsLogs"]["Condition"]["StringEquals"] == {"aws:SourceArn": TRAIL}
    assert by_sid["CloudTrailDescribesKey"]["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL}}


def _cloudtrail(action: str, resource: str, context: dict[str, list[str]], document: dict[str, Any]) -> Decision:
    request = Request(action, resource, {"aws:sourcearn": [TRAIL], **context}, service="cloudtrail.amazonaws.com")
    return evaluate([("policy", document)], request)


@pytest.mark.parametrize(
    ("key", "sse", "allowed"),
    [
        ("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/12/01/log.json.gz", "aws:kms", True),
        ("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/12/01/log.json.gz", None, True),
        ("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/12/01/log.json.gz", "AES256", False),
        ("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/12/01/digest.json.gz", "AES256", True),
        ("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/12/01/digest.json.gz", "aws:kms", True),
        ("AWSLogs/999999999999/CloudTrail/eu-west-1/log.json.gz", "aws:kms", False),
    ],
)
def test_cloudtrail_can_deliver_log_and_digest_files(key: str, sse: str | None, allowed: bool) -> None:
    """Digest files are SSE-S3 (CloudTrail User Guide, security best practices); logs are SSE-KMS."""
    document = audit_log_bucket_policy("logs", "111122223333", TRAIL)
    context = {"aws:securetransport": ["true"], **({"s3:x-amz-server-side-encryption": [sse]} if sse else {})}
    decision = _cloudtrail("s3:PutObject", f"arn:aws:s3:::logs/{key}", context, document)
    assert decision.allowed is allowed, decision.reason


def test_cloudtrail_can_describe_the_key_without_encryption_context() -> None:
    document = audit_log_key_policy("111122223333", TRAIL)
    assert _cloudtrail("kms:DescribeKey", "*", {}, document).allowed
    assert not _cloudtrail("kms:GenerateDataKey", "*", {}, document).allowed  # needs the trail's context


def test_data_event_selectors_grow_with_buckets_not_workloads() -> None:
    selectors = data_event_selectors(["b", "a"])
    arns = selectors[1]["field_selectors"][2]  # type: ignore[index]
    assert arns == {"field": "resources.ARN", "starts_withs": ["arn:aws:s3:::a/", "arn:aws:s3:::b/"]}


def _with_workload(**changes: Any) -> dict[str, Any]:
    config = stack_config("dev")
    config[CONFIG_KEY]["workloads"][0].update(changes)
    return config


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("2026-11-23T10:00:00", "must carry a timezone"),
        ((datetime.now(UTC) + timedelta(days=1)).isoformat(), "must not be in the future"),
        ("yesterday", "valid datetime"),
    ],
)
def test_revocation_switch_validation(value: str, rule: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_with_workload(revoke_sessions_issued_before=value)[CONFIG_KEY])
    assert any(
        p.startswith("workloads[0].revoke_sessions_issued_before: ") and rule in p for p in caught.value.problems
    )


def test_revocation_instant_is_normalised_to_utc() -> None:
    local = AN_HOUR_AGO.astimezone(UTC).replace(tzinfo=None).isoformat() + "+02:00"
    config = load_config(_with_workload(revoke_sessions_issued_before=local)[CONFIG_KEY])
    assert config.workloads[0].revoke_sessions_issued_before == AN_HOUR_AGO - timedelta(hours=2)


def _role_resources(result: PlanResult, workload: str) -> dict[str, RecordedResource]:
    return {r.type + "/" + r.name: r for r in result.resources if r.name.startswith(workload)}


def test_emergency_revocation_adds_the_deny_and_keeps_the_grants() -> None:
    instant = AN_HOUR_AGO.strftime("%Y-%m-%dT%H:%M:%SZ")
    result = run_program("dev", _with_workload(revoke_sessions_issued_before=instant))
    resources = _role_resources(result, "ingest-api")
    revocation = resources["aws:iam/rolePolicy:RolePolicy/ingest-api-revocation"]
    assert revocation.inputs["name"] == "revoke-older-sessions"
    assert revocation.inputs["role"] == "gcpfed-dev-ingest-api"
    assert json.loads(revocation.inputs["policy"]) == revoke_sessions_policy(instant)
    assert resources["aws:iam/role:Role/ingest-api"].urn in revocation.dependencies
    assert "aws:iam/rolePolicy:RolePolicy/ingest-api" in resources  # data grants untouched


def test_trust_suspension_replaces_only_the_trust() -> None:
    result = run_program("dev", _with_workload(trust_suspended=True))
    resources = _role_resources(result, "ingest-api")
    trust = json.loads(resources["aws:iam/role:Role/ingest-api"].inputs["assumeRolePolicy"])
    assert trust == suspended_trust_policy("accounts.google.com")
    assert "aws:iam/rolePolicy:RolePolicy/ingest-api" in resources


def test_decommissioning_order_role_before_service_account() -> None:
    """Pulumi deletes dependents first: the role (and its policy) go before the service account."""
    result = run_program("dev", stack_config("dev"))
    for workload in ("ingest-api", "nightly-etl", "reporting"):
        resources = _role_resources(result, workload)
        account = resources[f"gcp:serviceaccount/account:Account/{workload}"]
        role = resources[f"aws:iam/role:Role/{workload}"]
        policy = resources[f"aws:iam/rolePolicy:RolePolicy/{workload}"]
        assert account.urn in role.dependencies
        assert role.urn in policy.dependencies
    config = stack_config("dev")
    config[CONFIG_KEY]["workloads"] = config[CONFIG_KEY]["workloads"][1:]
    remaining = run_program("dev", config)
    assert not [r for r in remaining.resources if r.name.startswith("ingest-api")]


def test_prod_audit_trail_is_on_by_default_and_hardened() -> None:
    result = run_program("prod", stack_config("prod"))
    (trail,) = [r for r in result.resources if r.type == "aws:cloudtrail/trail:Trail"]
    assert trail.inputs["enableLogFileValidation"] is True and trail.inputs["isMultiRegionTrail"] is True
    assert trail.inputs["s3BucketName"] == "gcp-federation-prod-audit-444455556666"
    arns = trail.inputs["advancedEventSelectors"][1]["fieldSelectors"][2]["startsWiths"]
    assert arns == ["arn:aws:s3:::acme-prod-archive/", "arn:aws:s3:::acme-prod-lake/"]
    by_name = {r.name: r for r in result.resources}
    assert by_name["audit-logs"].retain_on_delete and by_name["audit-key"].retain_on_delete
    lifecycle = by_name["audit-logs-retention"].inputs["rules"][0]
    assert lifecycle["expiration"] == {"days": 400} and lifecycle["status"] == "Enabled"
    assert by_name["audit-logs-policy"].urn in trail.dependencies
    assert result.outputs["audit"]["log_bucket"] == "gcp-federation-prod-audit-444455556666"


def test_dev_may_turn_the_trail_off() -> None:
    result = run_program("dev", stack_config("dev"))
    assert not [r for r in result.resources if r.type == "aws:cloudtrail/trail:Trail"]


def _session() -> boto3.Session:
    return boto3.Session(region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def test_moto_accepts_revocation_and_suspension(moto_endpoint: str) -> None:
    iam = _session().client("iam", endpoint_url=moto_endpoint)
    result = run_program("dev", stack_config("dev"))
    (role,) = [r.inputs for r in result.resources if r.type == "aws:iam/role:Role" and r.name == "reporting"]
    name = f"{role['name']}-revocation-test"
    iam.create_role(RoleName=name, Path=role["path"], AssumeRolePolicyDocument=role["assumeRolePolicy"])
    deny = render(revoke_sessions_policy(AN_HOUR_AGO.strftime("%Y-%m-%dT%H:%M:%SZ")))
    iam.put_role_policy(RoleName=name, PolicyName="revoke-older-sessions", PolicyDocument=deny)
    stored = iam.get_role_policy(RoleName=name, PolicyName="revoke-older-sessions")["PolicyDocument"]
    assert stored == json.loads(deny)
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=render(suspended_trust_policy("accounts.google.com")))
    trust: Any = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Effect"] == "Deny"


def test_moto_accepts_the_audit_log_bucket_and_key_policies(moto_endpoint: str) -> None:
    session = _session()
    s3 = session.client("s3", endpoint_url=moto_endpoint)
    kms = session.client("kms", endpoint_url=moto_endpoint)
    kms.create_key(Policy=render(audit_log_key_policy("123456789012", TRAIL)))
    s3.create_bucket(Bucket="audit-logs-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    policy = render(audit_log_bucket_policy("audit-logs-test", "123456789012", TRAIL))
    s3.put_bucket_policy(Bucket="audit-logs-test", Policy=policy)
    assert json.loads(s3.get_bucket_policy(Bucket="audit-logs-test")["Policy"]) == json.loads(policy)
