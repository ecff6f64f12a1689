"""The pure policy-document builders: exact statements, no Pulumi involved."""

from __future__ import annotations

import pytest

from gcp_aws_credentials.evaluate import Decision, Request, evaluate
from gcp_s3_federation.documents import (
    PrefixGrant,
    bucket_policy,
    google_trust_policy,
    kms_key_policy,
    minified_size,
    prefix_access_policy,
)

KEY = "arn:aws:kms:eu-west-1:111122223333:key/0b6c1f5e-7d2a-4c4e-9a51-2f3e8d9c1a7b"
OTHER_KEY = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
UID = "112233445566778899001"


def test_trust_pins_azp_sub_audience_and_session_exactly() -> None:
    document = google_trust_policy("accounts.google.com", UID, "gcp-s3-federation-dev", "etl@acme-data-dev")
    assert document["Statement"] == [
        {
            "Sid": "GoogleServiceAccount",
            "Effect": "Allow",
            "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    "accounts.google.com:aud": UID,
                    "accounts.google.com:sub": UID,
                    "accounts.google.com:oaud": "gcp-s3-federation-dev",
                    "sts:RoleSessionName": "etl@acme-data-dev",
                }
            },
        }
    ]


def test_trust_in_provider_mode_uses_provider_arn_and_same_keys() -> None:
    arn = "arn:aws:iam::111122223333:oidc-provider/accounts.google.com"
    statement = google_trust_policy(arn, UID, "aud", "s@p")["Statement"][0]
    assert statement["Principal"] == {"Federated": arn}
    assert set(statement["Condition"]["StringEquals"]) == {
        "accounts.google.com:aud",
        "accounts.google.com:sub",
        "accounts.google.com:oaud",
        "sts:RoleSessionName",
    }


def test_read_grant() -> None:
    document = prefix_access_policy([PrefixGrant("lake", "raw/events/", "read", KEY)], "eu-west-1")
    assert document["Statement"] == [
        {
            "Sid": "ListLake",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::lake",
            "Condition": {"StringLike": {"s3:prefix": ["raw/events/*"]}, "Bool": {"aws:SecureTransport": "true"}},
        },
        {
            "Sid": "ReadObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": ["arn:aws:s3:::lake/raw/events/*", "arn:aws:s3:::lake/raw/events"],
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        },
        {
            "Sid": "DecryptThroughS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [KEY],
            "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
        },
    ]


def test_write_grant_has_no_read_and_can_encrypt() -> None:
    statements = prefix_access_policy([PrefixGrant("lake", "out/", "write", KEY)], "eu-west-1")["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert set(by_sid) == {"ListLake", "WriteObjects", "EncryptThroughS3"}
    assert by_sid["WriteObjects"]["Action"] == [
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
        "s3:DeleteObject",
    ]
    assert by_sid["WriteObjects"]["Resource"] == ["arn:aws:s3:::lake/out/*"]
    assert by_sid["EncryptThroughS3"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert "s3:DeleteObjectVersion" not in str(statements)


def test_grants_merge_per_access_mode_and_bucket() -> None:
    grants = [
        PrefixGrant("lake", "a/", "read", KEY),
        PrefixGrant("lake", "b/", "read-write", KEY),
        PrefixGrant("archive", "c/", "read", OTHER_KEY),
    ]
    statements = prefix_access_policy(grants, "eu-west-1")["Statement"]
    assert [s["Sid"] for s in statements] == [
        "ListLake",
        "ListArchive",
        "ReadObjects",
        "WriteObjects",
        "EncryptThroughS3",
        "DecryptThroughS3",
    ]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["ListLake"]["Condition"]["StringLike"]["s3:prefix"] == ["a/*", "b/*"]
    assert by_sid["ReadObjects"]["Resource"] == [
        "arn:aws:s3:::lake/a/*",
        "arn:aws:s3:::lake/a",
        "arn:aws:s3:::lake/b/*",
        "arn:aws:s3:::lake/b",
        "arn:aws:s3:::archive/c/*",
        "arn:aws:s3:::archive/c",
    ]
    assert by_sid["WriteObjects"]["Resource"] == ["arn:aws:s3:::lake/b/*"]
    assert by_sid["EncryptThroughS3"]["Resource"] == [KEY]
    assert by_sid["DecryptThroughS3"]["Resource"] == [OTHER_KEY]


def test_list_exact_prefix_adds_only_the_exact_value() -> None:
    grants = [
        PrefixGrant("lake", "curated/daily/", "read", KEY, list_exact_prefix=True),
        PrefixGrant("lake", "a/", "read", KEY),
    ]
    (listing,) = [s for s in prefix_access_policy(grants, "eu-west-1")["Statement"] if s["Sid"] == "ListLake"]
    assert listing["Condition"]["StringLike"]["s3:prefix"] == ["curated/daily/*", "a/*", "curated/daily"]


ROLE = "arn:aws:iam::111122223333:role/gcp-federation/dev/etl"
BUCKET_POLICY = bucket_policy(
    "lake", KEY, "111122223333", "/gcp-federation/dev/", ["arn:aws:iam::111122223333:role/bg"]
)


def _bucket_policy_decides(action: str, resource: str, headers: dict[str, str], principal: str = ROLE) -> Decision:
    context = {"aws:securetransport": ["true"], "aws:principalarn": [principal], "aws:principalisawsservice": ["false"]}
    context |= {k.lower(): [v] for k, v in headers.items()}
    return evaluate([("bucket policy", BUCKET_POLICY)], Request(action, resource, context, principal_arn=principal))


def _denied_by(decision: Decision) -> str | None:
    return decision.deciding.sid if decision.deciding is not None and decision.deciding.effect == "Deny" else None


SSE = "s3:x-amz-server-side-encryption"
SSE_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"


@pytest.mark.parametrize(
    ("headers", "denied_by"),
    [
        # no SSE header: PutObject relying on the default, and every UploadPart / CompleteMultipartUpload
        ({}, None),
        ({SSE: "aws:kms", SSE_KEY: KEY}, None),
        ({SSE: "aws:kms"}, "DenyKmsWithoutKeyId"),
        ({SSE: "aws:kms", SSE_KEY: OTHER_KEY}, "DenyKmsKeyOtherThanBucketKey"),
        ({SSE: "aws:kms", SSE_KEY: "alias/aws/s3"}, "DenyKmsKeyOtherThanBucketKey"),
        ({SSE: "AES256"}, "DenySseOtherThanKms"),
        ({SSE: "aws:kms:dsse", SSE_KEY: KEY}, "DenySseOtherThanKms"),
        ({"s3:x-amz-server-side-encryption-customer-algorithm": "AES256"}, "DenySseC"),
    ],
)
def test_bucket_policy_denies_a_write_only_when_an_sse_header_is_present_and_wrong(
    headers: dict[str, str], denied_by: str | None
) -> None:
    decision = _bucket_policy_decides("s3:PutObject", "arn:aws:s3:::lake/out/part-0000", headers)
    assert _denied_by(decision) == denied_by, decision.reason


def test_bucket_policy_fence_covers_objects_and_listings_outside_the_role_path() -> None:
    outsider = "arn:aws:iam::111122223333:role/analyst"
    for action, resource in [
        ("s3:GetObject", "arn:aws:s3:::lake/raw/x"),
        ("s3:ReplicateObject", "arn:aws:s3:::lake/raw/x"),
        ("s3:PutObjectAcl", "arn:aws:s3:::lake/raw/x"),
        ("s3:ListBucketVersions", "arn:aws:s3:::lake"),
        ("s3:ListBucketMultipartUploads", "arn:aws:s3:::lake"),
    ]:
        assert _denied_by(_bucket_policy_decides(action, resource, {}, outsider)), action
        assert _denied_by(_bucket_policy_decides(action, resource, {})) is None, action
        assert _denied_by(_bucket_policy_decides(action, resource, {}, "arn:aws:iam::111122223333:role/bg")) is None
    # bucket configuration and HeadBucket (s3:ListBucket) stay with the account's IAM, so the deploying
    # principal is not locked out
    for action in ("s3:PutBucketPolicy", "s3:ListBucket"):
        assert _denied_by(_bucket_policy_decides(action, "arn:aws:s3:::lake", {}, outsider)) is None


def test_bucket_policy_fence_lets_aws_service_principals_through() -> None:
    """A service principal's request carries aws:PrincipalIsAWSService = true and no aws:PrincipalArn."""
    context = {"aws:securetransport": ["true"], "aws:principalisawsservice": ["true"]}
    request = Request("s3:GetObject", "arn:aws:s3:::lake/raw/x", context, service="logging.s3.amazonaws.com")
    assert _denied_by(evaluate([("bucket policy", BUCKET_POLICY)], request)) is None
    anonymous = Request("s3:GetObject", "arn:aws:s3:::lake/raw/x", {"aws:securetransport": ["true"]})
    assert _denied_by(evaluate([("bucket policy", BUCKET_POLICY)], anonymous)) == "DenyDataAccessOutsideFederationPath"


def test_bucket_policy_denies_plain_http_for_everyone() -> None:
    context = {"aws:securetransport": ["false"], "aws:principalarn": [ROLE]}
    decision = evaluate(
        [("bucket policy", BUCKET_POLICY)],
        Request("s3:GetObject", "arn:aws:s3:::lake/raw/x", context, principal_arn=ROLE),
    )
    assert _denied_by(decision) == "DenyInsecureTransport"


def test_key_policy_limits_use_to_federated_roles_through_s3_for_this_bucket() -> None:
    document = kms_key_policy("111122223333", "eu-west-1", "/gcp-federation/dev/", bucket="lake")
    admin, use = document["Statement"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert not any(a in admin["Action"] for a in ("kms:Decrypt", "kms:GenerateDataKey", "kms:*"))
    assert use["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert use["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:CallerAccount": "111122223333"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::lake", "arn:aws:s3:::lake/*"]},
        "ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/gcp-federation/dev/*"]},
    }


@pytest.mark.parametrize(
    ("encryption_context", "allowed"),
    [("arn:aws:s3:::lake", True), ("arn:aws:s3:::lake/raw/x", True), ("arn:aws:s3:::other", False)],
)
def test_key_policy_follows_the_bucket_key_encryption_context(encryption_context: str, allowed: bool) -> None:
    """Bucket keys: context = bucket ARN; objects written without them: the object ARN."""
    document = kms_key_policy("111122223333", "eu-west-1", "/gcp-federation/dev/", bucket="lake")
    context = {
        "kms:viaservice": ["s3.eu-west-1.amazonaws.com"],
        "kms:calleraccount": ["111122223333"],
        "aws:principalarn": [ROLE],
        "kms:encryptioncontext:aws:s3:arn": [encryption_context],
    }
    decision = evaluate([("key policy", document)], Request("kms:GenerateDataKey", "*", context, principal_arn=ROLE))
    assert decision.allowed is allowed, decision.reason


def test_minified_size_ignores_whitespace() -> None:
    assert minified_size({"a": [1, 2]}) == len('{"a":[1,2]}')
