"""The pure policy-document builders: exact statements, no Pulumi involved."""

from __future__ import annotations

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
            "Condition": {"StringLike": {"s3:prefix": ["raw/events/*"]}},
        },
        {
            "Sid": "ReadObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": ["arn:aws:s3:::lake/raw/events/*"],
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
        "arn:aws:s3:::lake/b/*",
        "arn:aws:s3:::archive/c/*",
    ]
    assert by_sid["WriteObjects"]["Resource"] == ["arn:aws:s3:::lake/b/*"]
    assert by_sid["EncryptThroughS3"]["Resource"] == [KEY]
    assert by_sid["DecryptThroughS3"]["Resource"] == [OTHER_KEY]


def test_bucket_policy_statements() -> None:
    document = bucket_policy("lake", KEY, "111122223333", "/gcp-federation/dev/", ["arn:aws:iam::111122223333:role/bg"])
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert all(s["Effect"] == "Deny" for s in document["Statement"])
    assert by_sid["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert by_sid["DenyUploadsWithoutSseHeader"]["Condition"] == {"Null": {"s3:x-amz-server-side-encryption": "true"}}
    assert by_sid["DenyUploadsNotSseKms"]["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}
    }
    assert by_sid["DenyUploadsNotNamingBucketKey"]["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY}
    }
    fence = by_sid["DenyObjectAccessOutsideFederationPath"]
    assert fence["Resource"] == "arn:aws:s3:::lake/*"
    assert fence["Condition"] == {
        "ArnNotLike": {
            "aws:PrincipalArn": [
                "arn:aws:iam::111122223333:role/gcp-federation/dev/*",
                "arn:aws:iam::111122223333:role/bg",
            ]
        }
    }


def test_key_policy_limits_use_to_federated_roles_through_s3() -> None:
    document = kms_key_policy("111122223333", "eu-west-1", "/gcp-federation/dev/")
    admin, use = document["Statement"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert not any(a in admin["Action"] for a in ("kms:Decrypt", "kms:GenerateDataKey", "kms:*"))
    assert use["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert use["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:CallerAccount": "111122223333"},
        "ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/gcp-federation/dev/*"]},
    }


def test_minified_size_ignores_whitespace() -> None:
    assert minified_size({"a": [1, 2]}) == len('{"a":[1,2]}')
