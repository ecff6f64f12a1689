"""Each component under Pulumi's mocks: exact inputs, parenting, providers, tags and outputs."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from gcp_s3_federation import (
    FederatedRole,
    FederatedRoleArgs,
    GoogleOidcProvider,
    GoogleOidcProviderArgs,
    GrantArgs,
    PrefixAccessPolicy,
    PrefixAccessPolicyArgs,
    SecureBucket,
    SecureBucketArgs,
    WorkloadServiceAccount,
    WorkloadServiceAccountArgs,
)
from tools.mock_cloud import CONFIG_KEY, PlanResult, RecordedResource, run_program, run_under_mocks, stack_config

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0b6c1f5e-7d2a-4c4e-9a51-2f3e8d9c1a7b"


def _only(result: PlanResult, typ: str) -> RecordedResource:
    matches = [r for r in result.resources if r.type == typ]
    assert len(matches) == 1, [r.name for r in matches]
    return matches[0]


def _types(result: PlanResult) -> list[str]:
    return sorted(r.type for r in result.custom_resources)


def test_federated_role_alone_with_explicit_provider() -> None:
    def body() -> None:
        provider = aws.Provider("data-account", region="eu-west-1")
        role = FederatedRole(
            "etl",
            FederatedRoleArgs(
                role_name="gcpfed-dev-etl",
                path="/gcp-federation/dev/",
                principal="accounts.google.com",
                service_account_unique_id="101",
                audience="aud-dev",
                session_name="etl@proj",
                max_session_duration=7200,
                permissions_boundary_arn=f"arn:aws:iam::{ACCOUNT}:policy/boundary",
                tags={"environment": "dev"},
            ),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        pulumi.export("arn", role.arn)

    result = run_under_mocks(body)
    role = _only(result, "aws:iam/role:Role")
    component = _only(result, "gcp-s3-federation:index:FederatedRole")
    provider = _only(result, "pulumi:providers:aws")
    assert role.parent == component.urn
    assert role.provider.startswith(provider.urn)
    assert role.inputs["maxSessionDuration"] == 7200
    assert role.inputs["path"] == "/gcp-federation/dev/"
    assert role.inputs["permissionsBoundary"] == f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {
        "accounts.google.com:aud": "101",
        "accounts.google.com:sub": "101",
        "accounts.google.com:oaud": "aud-dev",
        "sts:RoleSessionName": "etl@proj",
    }
    assert result.outputs["arn"] == "arn:aws:iam::000000000000:role/gcp-federation/dev/gcpfed-dev-etl"


def test_prefix_access_policy_resolves_key_outputs() -> None:
    def body() -> None:
        provider = aws.Provider("data-account", region="eu-west-1")
        key = aws.kms.Key("k", opts=pulumi.ResourceOptions(provider=provider))
        grant = GrantArgs(bucket="lake", prefix="raw/", access="read", kms_key_arn=key.arn)
        PrefixAccessPolicy(
            "etl", PrefixAccessPolicyArgs(role_name="gcpfed-dev-etl", grants=[grant], region="eu-west-1")
        )

    result = run_under_mocks(body)
    policy = _only(result, "aws:iam/rolePolicy:RolePolicy")
    document = json.loads(policy.inputs["policy"])
    decrypt = document["Statement"][-1]
    assert decrypt["Resource"][0].startswith("arn:aws:kms:eu-west-1:000000000000:key/")
    assert policy.inputs["role"] == "gcpfed-dev-etl"
    assert policy.inputs["name"] == "s3-prefix-access"


def test_secure_bucket_created_is_hardened_and_retained() -> None:
    def body() -> None:
        SecureBucket(
            "lake",
            SecureBucketArgs(
                bucket="lake", account_id=ACCOUNT, region="eu-west-1", role_path="/p/", tags={"environment": "dev"}
            ),
        )

    result = run_under_mocks(body)
    assert _types(result) == [
        "aws:kms/alias:Alias",
        "aws:kms/key:Key",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
    ]
    key = _only(result, "aws:kms/key:Key")
    bucket = _only(result, "aws:s3/bucket:Bucket")
    assert key.retain_on_delete and bucket.retain_on_delete
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert bucket.inputs["forceDestroy"] is False
    pab = _only(result, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        pab[flag] is True
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    sse = _only(result, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    rule = sse.inputs["rules"][0]
    assert rule["bucketKeyEnabled"] is True
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith("arn:aws:kms:")
    assert rule["blockedEncryptionTypes"] == ["SSE-C"]
    lifecycle = _only(result, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs
    assert lifecycle["rules"] == [
        {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
        }
    ]
    ownership = _only(result, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = _only(result, "aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    policy = _only(result, "aws:s3/bucketPolicy:BucketPolicy")
    pab_urn = _only(result, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").urn
    assert pab_urn in policy.dependencies


SSE_CONFIG = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


@pytest.mark.parametrize(
    ("manage", "expected"),
    [(None, []), (False, []), (True, ["aws:s3/bucketPolicy:BucketPolicy", SSE_CONFIG])],
)
def test_secure_bucket_adopted_creates_nothing_but_optional_policy(manage: bool | None, expected: list[str]) -> None:
    """Adopting writes no policy unless asked (like the stack config); when it does, it also pins the SSE-KMS
    default that the policy relies on for writes without SSE headers, retained so a destroy never resets it."""

    def body() -> None:
        args = SecureBucketArgs(
            bucket="old", account_id=ACCOUNT, region="eu-west-1", role_path="/p/", existing_kms_key_arn=KEY
        )
        if manage is not None:
            args["manage_bucket_policy"] = manage
        bucket = SecureBucket("old", args)
        pulumi.export("key", bucket.kms_key_arn)

    result = run_under_mocks(body)
    assert _types(result) == expected
    assert result.outputs["key"] == KEY
    if manage:
        sse = _only(result, SSE_CONFIG)
        assert sse.retain_on_delete
        assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyId": KEY,
        }
        assert sse.urn in _only(result, "aws:s3/bucketPolicy:BucketPolicy").dependencies


def test_oidc_provider_created_with_all_client_ids() -> None:
    def body() -> None:
        provider = GoogleOidcProvider("google", GoogleOidcProviderArgs(client_ids=["aud", "101", "aud"]))
        pulumi.export("arn", provider.arn)

    result = run_under_mocks(body)
    created = _only(result, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert created.inputs["url"] == "https://accounts.google.com"
    assert created.inputs["clientIdLists"] == ["aud", "101"]
    assert "thumbprintLists" not in created.inputs
    assert result.outputs["arn"] == "arn:aws:iam::000000000000:oidc-provider/accounts.google.com"


def test_oidc_provider_adopted_creates_nothing() -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/accounts.google.com"

    def body() -> None:
        provider = GoogleOidcProvider("google", GoogleOidcProviderArgs(client_ids=["aud"], existing_arn=arn))
        pulumi.export("arn", provider.arn)
        pulumi.export("required", provider.required_client_ids)

    result = run_under_mocks(body)
    assert _types(result) == []
    assert result.outputs == {"arn": arn, "required": ["aud"]}


@pytest.mark.parametrize(
    ("kind", "roles"), [("dataproc", ["roles/dataproc.worker"]), ("cloud-run", []), ("service-account-only", [])]
)
def test_service_account_gets_only_what_its_kind_needs(kind: str, roles: list[str]) -> None:
    def body() -> None:
        WorkloadServiceAccount(
            "etl",
            WorkloadServiceAccountArgs(account_id="etl-runner", project="acme-data-dev", environment="dev", kind=kind),
        )

    result = run_under_mocks(body)
    account = _only(result, "gcp:serviceaccount/account:Account")
    assert account.inputs["accountId"] == "etl-runner"
    assert account.inputs["project"] == "acme-data-dev"
    assert [r.inputs["role"] for r in result.resources if r.type == "gcp:projects/iAMMember:IAMMember"] == roles


def _dev_plan(**changes: Any) -> PlanResult:
    config = stack_config("dev")
    config[CONFIG_KEY].update(changes)
    return run_program("dev", config)


def test_dev_stack_parents_everything_and_never_creates_keys() -> None:
    result = _dev_plan()
    by_urn = {r.urn: r for r in result.resources}
    for resource in result.custom_resources:
        assert resource.parent in by_urn, f"{resource.name} is not parented to a component"
    types = _types(result)
    assert "aws:iam/accessKey:AccessKey" not in types
    assert "gcp:serviceaccount/key:Key" not in types


def test_dev_stack_tags_every_taggable_aws_resource() -> None:
    result = _dev_plan()
    for resource in result.custom_resources:
        if resource.type in ("aws:iam/role:Role", "aws:kms/key:Key", "aws:s3/bucket:Bucket"):
            assert resource.inputs["tags"]["environment"] == "dev"
            assert resource.inputs["tags"]["managed-by"] == "gcp-s3-federation"
        if resource.type == "aws:iam/role:Role":
            assert resource.inputs["tags"]["workload"] == resource.name


def test_dev_stack_uses_explicit_providers_everywhere() -> None:
    result = _dev_plan()
    providers = {r.type: r.urn for r in result.resources if r.type.startswith("pulumi:providers:")}
    for resource in result.custom_resources:
        package = resource.type.split(":")[0]
        assert resource.provider.startswith(providers[f"pulumi:providers:{package}"] + "::"), resource.name


def test_each_workload_trusts_only_its_own_service_account() -> None:
    result = _dev_plan()
    unique_ids = {r.name: r for r in result.resources if r.type == "gcp:serviceaccount/account:Account"}
    for role in (r for r in result.resources if r.type == "aws:iam/role:Role"):
        condition = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
        email = result.outputs["workloads"][role.name]["service_account_email"]
        assert email.startswith(unique_ids[role.name].inputs["accountId"] + "@")
        assert condition["sts:RoleSessionName"] == email.removesuffix(".iam.gserviceaccount.com")
        assert condition["accounts.google.com:oaud"] == "gcp-s3-federation-dev"
        assert condition["accounts.google.com:aud"] == condition["accounts.google.com:sub"]
    assert (
        len(
            {
                json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"][
                    "accounts.google.com:sub"
                ]
                for r in result.resources
                if r.type == "aws:iam/role:Role"
            }
        )
        == 3
    )


def test_provider_mode_trusts_provider_arn_listing_every_client_id() -> None:
    result = _dev_plan(trust={"mode": "oidc-provider"})
    provider = _only(result, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    roles = [r for r in result.resources if r.type == "aws:iam/role:Role"]
    subs = []
    for role in roles:
        statement = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
        assert statement["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/accounts.google.com"}
        subs.append(statement["Condition"]["StringEquals"]["accounts.google.com:sub"])
        assert provider.urn in role.dependencies
    assert sorted(provider.inputs["clientIdLists"]) == sorted(["gcp-s3-federation-dev", *subs])


def test_provider_mode_adopting_an_existing_provider() -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/accounts.google.com"
    result = _dev_plan(trust={"mode": "oidc-provider", "oidc_provider_arn": arn})
    assert "aws:iam/openIdConnectProvider:OpenIdConnectProvider" not in _types(result)
    assert len(result.outputs["oidc_provider"]["required_client_ids"]) == 4
    assert result.outputs["oidc_provider"]["arn"] == arn


def test_workload_outputs_carry_the_environment_a_workload_needs() -> None:
    result = _dev_plan()
    etl = result.outputs["workloads"]["nightly-etl"]
    assert etl["environment_variables"] == {
        "AWS_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/gcp-federation/dev/gcpfed-dev-nightly-etl",
        "AWS_ROLE_SESSION_NAME": "nightly-etl@acme-data-dev",
        "AWS_REGION": "eu-west-1",
        "GCP_AWS_AUDIENCE": "gcp-s3-federation-dev",
        "GCP_AWS_DURATION_SECONDS": "3600",
    }
    assert etl["grants"][1] == {
        "bucket": "acme-dev-lake",
        "prefix": "curated/daily/",
        "access": "read-write",
        "list_exact_prefix": True,  # a dataproc workload: S3A may use the grant itself as a directory
    }
    ingest = result.outputs["workloads"]["ingest-api"]
    assert [g["list_exact_prefix"] for g in ingest["grants"]] == [False]
