"""IAM, S3 and KMS policy documents as pure functions: plain data in, dict out.

Nothing here imports Pulumi, so every document can be unit-tested and measured on its own. The
condition-key semantics follow the AWS Service Authorization Reference for STS (see README, "Design"):
for Google tokens `accounts.google.com:aud` is the token's `azp` (the service account's unique id),
`accounts.google.com:oaud` is the token's `aud` (the audience the workload requested).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Document = dict[str, Any]
Access = Literal["read", "write", "read-write"]

VERSION = "2012-10-17"
GOOGLE_PROVIDER = "accounts.google.com"
WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity"
SSE_KMS = "aws:kms"

READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
# DeleteObject belongs to write: Hadoop S3A and Spark committers delete temporary objects and
# implement rename as copy + delete. Versioning keeps deleted data recoverable, and
# DeleteObjectVersion (which would purge history) is never granted.
WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:DeleteObject")
KMS_READ_ACTIONS = ("kms:Decrypt",)
KMS_WRITE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# Object-level data actions fenced by the bucket policy. Bucket-level reads (ListBucket/HeadBucket)
# are left to identity policies so that the deploying principal can still manage the bucket.
FENCED_OBJECT_ACTIONS = (
    "s3:GetObject*",
    "s3:PutObject*",
    "s3:DeleteObject*",
    "s3:RestoreObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
KEY_ADMIN_ACTIONS = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)


@dataclass(frozen=True)
class PrefixGrant:
    """One bucket prefix a role may use, and the key that encrypts the bucket."""

    bucket: str
    prefix: str
    access: Access
    kms_key_arn: str

    @property
    def reads(self) -> bool:
        return self.access in ("read", "read-write")

    @property
    def writes(self) -> bool:
        return self.access in ("write", "read-write")


def minified_size(document: Document) -> int:
    """Characters IAM counts for a policy: the JSON without insignificant whitespace."""
    return len(json.dumps(document, separators=(",", ":")))


def render(document: Document) -> str:
    """The JSON string handed to AWS (stable key order, compact)."""
    return json.dumps(document, separators=(",", ":"))


def google_trust_policy(principal: str, unique_id: str, audience: str, session_name: str) -> Document:
    """Trust for exactly one Google service account requesting exactly one audience.

    `principal` is `accounts.google.com` (built-in provider) or an IAM OIDC provider ARN.
    """
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "GoogleServiceAccount",
                "Effect": "Allow",
                "Principal": {"Federated": principal},
                "Action": WEB_IDENTITY_ACTION,
                "Condition": {
                    "StringEquals": {
                        f"{GOOGLE_PROVIDER}:aud": unique_id,
                        f"{GOOGLE_PROVIDER}:sub": unique_id,
                        f"{GOOGLE_PROVIDER}:oaud": audience,
                        "sts:RoleSessionName": session_name,
                    }
                },
            }
        ],
    }


def bucket_arn(bucket: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}"


def prefix_access_policy(grants: Sequence[PrefixGrant], region: str, partition: str = "aws") -> Document:
    """Least-privilege identity policy for a set of prefix grants.

    Statements are merged per access mode, so the document grows by one ARN per grant, not by a
    statement per grant. Listing is allowed per bucket only under the granted prefixes.
    """
    statements: list[Document] = []
    for bucket in _unique(g.bucket for g in grants):
        prefixes = _unique(g.prefix for g in grants if g.bucket == bucket)
        statements.append(
            {
                "Sid": f"List{_sid(bucket)}",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn(bucket, partition),
                "Condition": {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
            }
        )
    object_statements: tuple[tuple[str, tuple[str, ...], list[PrefixGrant]], ...] = (
        ("ReadObjects", READ_ACTIONS, [g for g in grants if g.reads]),
        ("WriteObjects", WRITE_ACTIONS, [g for g in grants if g.writes]),
    )
    for sid, actions, selected in object_statements:
        if selected:
            statements.append(
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Action": list(actions),
                    "Resource": _unique(f"{bucket_arn(g.bucket, partition)}/{g.prefix}*" for g in selected),
                }
            )
    via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
    write_keys = _unique(g.kms_key_arn for g in grants if g.writes)
    read_only_keys = [k for k in _unique(g.kms_key_arn for g in grants) if k not in write_keys]
    kms_statements: tuple[tuple[str, tuple[str, ...], list[str]], ...] = (
        ("EncryptThroughS3", KMS_WRITE_ACTIONS, write_keys),
        ("DecryptThroughS3", KMS_READ_ACTIONS, read_only_keys),
    )
    for sid, actions, keys in kms_statements:
        if keys:
            statements.append(
                {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": keys, "Condition": via_s3}
            )
    return {"Version": VERSION, "Statement": statements}


def role_path_pattern(account_id: str, role_path: str, partition: str = "aws") -> str:
    """ARN pattern matching every role under the environment's federated path."""
    return f"arn:{partition}:iam::{account_id}:role{role_path}*"


def bucket_policy(
    bucket: str,
    kms_key_arn: str,
    account_id: str,
    role_path: str,
    admin_principal_arns: Sequence[str] = (),
    partition: str = "aws",
) -> Document:
    """Bucket policy whose size does not depend on the number of workloads.

    TLS only; every upload must name SSE-KMS and this bucket's key ARN (missing headers are denied,
    not left to default encryption); object data is reachable only from the environment's federated
    role path and the listed break-glass principals.
    """
    arn = bucket_arn(bucket, partition)
    objects = f"{arn}/*"
    return {
        "Version": VERSION,
        "Statement": [
            _deny_insecure_transport(arn),
            {
                "Sid": "DenyUploadsWithoutSseHeader",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
            },
            {
                "Sid": "DenyUploadsNotSseKms",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": SSE_KMS}},
            },
            {
                # A negated operator is true when the header is missing (IfExists would change nothing),
                # so uploads must name this key: no fallback to the aws/s3 key or another CMK.
                "Sid": "DenyUploadsNotNamingBucketKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": kms_key_arn}},
            },
            {
                "Sid": "DenyObjectAccessOutsideFederationPath",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(FENCED_OBJECT_ACTIONS),
                "Resource": objects,
                "Condition": {
                    "ArnNotLike": {
                        "aws:PrincipalArn": [
                            role_path_pattern(account_id, role_path, partition),
                            *admin_principal_arns,
                        ]
                    }
                },
            },
        ],
    }


def kms_key_policy(
    account_id: str,
    region: str,
    role_path: str,
    admin_principal_arns: Sequence[str] = (),
    partition: str = "aws",
) -> Document:
    """Key policy: the account administers the key; only federated roles (and break-glass
    principals) may use it, and only through S3 in the bucket's region."""
    root = f"arn:{partition}:iam::{account_id}:root"
    return {
        "Version": VERSION,
        "Statement": [
            _account_administers_key(root),
            {
                "Sid": "FederatedRolesUseKeyThroughS3",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": list(KMS_WRITE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:CallerAccount": account_id},
                    "ArnLike": {
                        "aws:PrincipalArn": [
                            role_path_pattern(account_id, role_path, partition),
                            *admin_principal_arns,
                        ]
                    },
                },
            },
        ],
    }


def _deny_insecure_transport(bucket_arn_: str) -> Document:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn_, f"{bucket_arn_}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _account_administers_key(root: str) -> Document:
    """The account may manage the key (so it can never be locked out) but not use it."""
    return {
        "Sid": "AccountAdministersKey",
        "Effect": "Allow",
        "Principal": {"AWS": root},
        "Action": list(KEY_ADMIN_ACTIONS),
        "Resource": "*",
    }


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _sid(bucket: str) -> str:
    return "".join(part.capitalize() for part in bucket.replace(".", "-").split("-"))


def revoke_sessions_policy(issued_before: str) -> Document:
    """IAM's "revoke active sessions": deny everything to sessions issued before the instant (ISO 8601)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "RevokeOlderSessions",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": issued_before}},
            }
        ],
    }


def suspended_trust_policy(principal: str) -> Document:
    """A trust that lets nobody in: no new sessions, the role and its grants untouched."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "TrustSuspended",
                "Effect": "Deny",
                "Principal": {"Federated": principal},
                "Action": WEB_IDENTITY_ACTION,
            }
        ],
    }


def trail_arn(account_id: str, region: str, trail_name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{trail_name}"


def audit_log_bucket_policy(bucket: str, account_id: str, trail: str, partition: str = "aws") -> Document:
    """CloudTrail may write (only under AWSLogs/<account>/), nobody may delete, TLS only.

    Uploads naming another encryption than SSE-KMS are denied; uploads without the header get the
    bucket's SSE-KMS default, so log delivery works whether or not CloudTrail sends the header.
    """
    arn = bucket_arn(bucket, partition)
    from_trail = {"StringEquals": {"aws:SourceArn": trail}}
    return {
        "Version": VERSION,
        "Statement": [
            _deny_insecure_transport(arn),
            {
                "Sid": "DenyUploadsNotSseKms",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{arn}/*",
                # present and not aws:kms; an absent header falls to the bucket's SSE-KMS default
                "Condition": {
                    "StringNotEquals": {"s3:x-amz-server-side-encryption": SSE_KMS},
                    "Null": {"s3:x-amz-server-side-encryption": "false"},
                },
            },
            {
                "Sid": "DenyLogDeletion",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                "Resource": f"{arn}/*",
            },
            {
                "Sid": "CloudTrailChecksAcl",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": arn,
                "Condition": from_trail,
            },
            {
                "Sid": "CloudTrailWritesLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/AWSLogs/{account_id}/*",
                "Condition": from_trail,
            },
        ],
    }


def audit_log_key_policy(account_id: str, trail: str, partition: str = "aws") -> Document:
    """CloudTrail encrypts with the key for this trail only; the account administers it and may
    decrypt the logs it owns."""
    root = f"arn:{partition}:iam::{account_id}:root"
    trail_context = {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"}
    return {
        "Version": VERSION,
        "Statement": [
            _account_administers_key(root),
            {
                "Sid": "CloudTrailEncryptsLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail}, "StringLike": trail_context},
            },
            {
                "Sid": "AccountReadsLogs",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": account_id}, "StringLike": trail_context},
            },
        ],
    }
