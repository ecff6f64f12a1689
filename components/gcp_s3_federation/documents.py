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
SSE_HEADER = "s3:x-amz-server-side-encryption"
SSE_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_C_HEADER = "s3:x-amz-server-side-encryption-customer-algorithm"
# Deny statements on writes must only fire when a header is present: UploadPart, UploadPartCopy and
# CompleteMultipartUpload are authorized as s3:PutObject but carry no SSE header (S3 API reference,
# UploadPart; S3 User Guide "Multipart upload and permissions"; boto/s3transfer#274).
HEADER_PRESENT = "false"
TLS_ONLY = {"Bool": {"aws:SecureTransport": "true"}}

READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
# DeleteObject belongs to write: Hadoop S3A and Spark committers delete temporary objects and
# implement rename as copy + delete. Versioning keeps deleted data recoverable, and
# DeleteObjectVersion (which would purge history) is never granted.
WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:DeleteObject")
KMS_READ_ACTIONS = ("kms:Decrypt",)
KMS_WRITE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# Bucket-level requests that reveal object data (versions, pending uploads); the fence denies them,
# and every object action, outside the federation path. `s3:ListBucket` is left to identity policies:
# HeadBucket is authorized as s3:ListBucket (S3 API reference, HeadBucket) and the deploying principal
# needs it to read the bucket back; bucket configuration likewise stays with the account's IAM.
FENCED_BUCKET_ACTIONS = ("s3:ListBucketVersions", "s3:ListBucketMultipartUploads")
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
    list_exact_prefix: bool = False
    """Also allow listing with `s3:prefix` = the prefix without its slash (see `prefix_access_policy`)."""

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
    statement per grant. Listing is allowed per bucket only under the granted prefixes. Reads also
    cover the exact key `prefix` without its slash: Hadoop S3A's getFileStatus HEADs that key before it
    lists `prefix/`, and a 403 there fails the job (hadoop-aws `S3AFileSystem.s3GetFileStatus`;
    federation-facts section 6). Every S3 allow requires TLS, so TLS holds on adopted buckets too.

    S3 answers a HEAD of a missing key with 404 only if the caller may also list with `s3:prefix` = that
    key, and with 403 otherwise (S3 API reference, HeadObject "Permissions"; ceph/ceph#68577). S3A takes
    that 403 for an error, so a grant used as a Hadoop directory (`s3a://bucket/curated/daily`) needs
    `list_exact_prefix`: listing with the exact value `curated/daily`, which also shows the names (never
    the data) of keys beside the grant that start with the same characters, e.g. `curated/daily-x/...`.
    """
    statements: list[Document] = []
    for bucket in _unique(g.bucket for g in grants):
        in_bucket = [g for g in grants if g.bucket == bucket]
        listable = _unique(
            [f"{g.prefix}*" for g in in_bucket] + [g.prefix.rstrip("/") for g in in_bucket if g.list_exact_prefix]
        )
        statements.append(
            {
                "Sid": f"List{_sid(bucket)}",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": bucket_arn(bucket, partition),
                "Condition": {"StringLike": {"s3:prefix": listable}, **TLS_ONLY},
            }
        )
    read_grants, write_grants = [g for g in grants if g.reads], [g for g in grants if g.writes]
    object_statements: tuple[tuple[str, tuple[str, ...], list[str]], ...] = (
        ("ReadObjects", READ_ACTIONS, _unique(arn for g in read_grants for arn in _read_arns(g, partition))),
        (
            "WriteObjects",
            WRITE_ACTIONS,
            _unique(f"{bucket_arn(g.bucket, partition)}/{g.prefix}*" for g in write_grants),
        ),
    )
    for sid, actions, resources in object_statements:
        if resources:
            statements.append(
                {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resources, "Condition": TLS_ONLY}
            )
    via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
    write_keys = _unique(g.kms_key_arn for g in write_grants)
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


def _read_arns(grant: PrefixGrant, partition: str) -> tuple[str, str]:
    """`prefix/*` (which also matches the marker key `prefix/`) and the exact key `prefix`."""
    arn = bucket_arn(grant.bucket, partition)
    return f"{arn}/{grant.prefix}*", f"{arn}/{grant.prefix.rstrip('/')}"


def role_path_pattern(account_id: str, role_path: str, partition: str = "aws") -> str:
    """ARN pattern matching every role under the environment's federated path."""
    return f"arn:{partition}:iam::{account_id}:role{role_path}*"


def sse_kms_write_denies(objects: str, kms_key_arn: str) -> list[Document]:
    """Deny writes whose SSE headers are present and wrong; a write without SSE headers gets the
    bucket's default (SSE-KMS with `kms_key_arn`) and passes, so multipart parts pass too.

    - a header other than `aws:kms` (SSE-S3, DSSE-KMS);
    - a key id other than the bucket's key ARN (S3 matches the condition key against the key ARN; S3
      User Guide "Requiring SSE-KMS for all objects written to a bucket");
    - `aws:kms` without a key id, which makes S3 use the AWS-managed `aws/s3` key, not the bucket
      default (S3 User Guide "Specifying server-side encryption with AWS KMS"; aws-cdk#18262);
    - SSE-C (customer-provided keys, header `x-amz-server-side-encryption-customer-algorithm`).
    """

    def deny(sid: str, condition: Document) -> Document:
        return {
            "Sid": sid,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": condition,
        }

    return [
        deny(
            "DenySseOtherThanKms",
            {"Null": {SSE_HEADER: HEADER_PRESENT}, "StringNotEquals": {SSE_HEADER: SSE_KMS}},
        ),
        deny(
            "DenyKmsKeyOtherThanBucketKey",
            {"Null": {SSE_KEY_HEADER: HEADER_PRESENT}, "StringNotEquals": {SSE_KEY_HEADER: kms_key_arn}},
        ),
        deny("DenyKmsWithoutKeyId", {"StringEquals": {SSE_HEADER: SSE_KMS}, "Null": {SSE_KEY_HEADER: "true"}}),
        deny("DenySseC", {"Null": {SSE_C_HEADER: HEADER_PRESENT}}),
    ]


def bucket_policy(
    bucket: str,
    kms_key_arn: str,
    account_id: str,
    role_path: str,
    admin_principal_arns: Sequence[str] = (),
    partition: str = "aws",
) -> Document:
    """Bucket policy whose size does not depend on the number of workloads.

    TLS only; writes may name no encryption (the bucket default, SSE-KMS with this key, applies) or
    exactly SSE-KMS with this key's ARN (`sse_kms_write_denies`); object data and listings are
    reachable only from the environment's federated role path, the listed break-glass principals and
    AWS services.
    """
    arn = bucket_arn(bucket, partition)
    objects = f"{arn}/*"
    return {
        "Version": VERSION,
        "Statement": [
            _deny_insecure_transport(arn),
            *sse_kms_write_denies(objects, kms_key_arn),
            {
                "Sid": "DenyDataAccessOutsideFederationPath",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:*"],
                "Resource": objects,
                "Condition": _outside_federation_path(account_id, role_path, admin_principal_arns, partition),
            },
            {
                "Sid": "DenyListingOutsideFederationPath",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(FENCED_BUCKET_ACTIONS),
                "Resource": arn,
                "Condition": _outside_federation_path(account_id, role_path, admin_principal_arns, partition),
            },
        ],
    }


def _outside_federation_path(
    account_id: str, role_path: str, admin_principal_arns: Sequence[str], partition: str
) -> Document:
    """True for callers that are neither federated roles, nor break-glass principals, nor AWS services
    (`aws:PrincipalIsAWSService` is present and true only for service principals; IAM User Guide,
    global condition keys)."""
    return {
        "ArnNotLike": {
            "aws:PrincipalArn": [role_path_pattern(account_id, role_path, partition), *admin_principal_arns]
        },
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
    }


def kms_key_policy(
    account_id: str,
    region: str,
    role_path: str,
    admin_principal_arns: Sequence[str] = (),
    partition: str = "aws",
    *,
    bucket: str,
) -> Document:
    """Key policy: the account administers the key; only federated roles (and break-glass
    principals) may use it, only through S3 in the bucket's region, and only for this bucket.

    S3 passes `aws:s3:arn` as encryption context: the bucket ARN when S3 Bucket Keys are on (this
    project's default), the object ARN for objects written without them (S3 User Guide, "Encryption
    context" and "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys"). Both are allowed, so
    objects written before bucket keys were enabled stay readable.
    """
    root = f"arn:{partition}:iam::{account_id}:root"
    arn = bucket_arn(bucket, partition)
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
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn, f"{arn}/*"]},
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

    CloudTrail writes log files with SSE-KMS but digest files (log file validation) with SSE-S3
    (`AES256`), under `AWSLogs/<account>/CloudTrail-Digest/` (CloudTrail User Guide, "Security best
    practices" and "CloudTrail digest file structure"). So a write naming an encryption is denied
    unless it is `aws:kms`, or `AES256` for a digest file; a write with no header gets the bucket's
    SSE-KMS default.
    """
    arn = bucket_arn(bucket, partition)
    digests = f"{arn}/AWSLogs/{account_id}/CloudTrail-Digest/*"
    from_trail = {"StringEquals": {"aws:SourceArn": trail}}
    return {
        "Version": VERSION,
        "Statement": [
            _deny_insecure_transport(arn),
            {
                "Sid": "DenyLogFilesNotSseKms",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "NotResource": digests,
                "Condition": {"Null": {SSE_HEADER: HEADER_PRESENT}, "StringNotEquals": {SSE_HEADER: SSE_KMS}},
            },
            {
                "Sid": "DenyDigestFilesNotSseKmsOrSseS3",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": digests,
                "Condition": {
                    "Null": {SSE_HEADER: HEADER_PRESENT},
                    "StringNotEquals": {SSE_HEADER: [SSE_KMS, "AES256"]},
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
    decrypt the logs it owns.

    DescribeKey requests carry no encryption context, so CloudTrail's DescribeKey has its own
    statement conditioned on the trail only (CloudTrail User Guide, "Configure AWS KMS key policies
    for CloudTrail").
    """
    root = f"arn:{partition}:iam::{account_id}:root"
    from_trail = {"StringEquals": {"aws:SourceArn": trail}}
    trail_context = {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"}
    return {
        "Version": VERSION,
        "Statement": [
            _account_administers_key(root),
            {
                "Sid": "CloudTrailEncryptsLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {**from_trail, "StringLike": trail_context},
            },
            {
                "Sid": "CloudTrailDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": from_trail,
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
