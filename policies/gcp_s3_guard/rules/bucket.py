"""Buckets and bucket policies (GSF015-GSF019, GSF050)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..documents import Condition
from ..model import Resource, Rule
from .common import (
    BUCKET_POLICY,
    BUCKET_TYPES,
    KMS_SSE_VALUES,
    PUBLIC_ACCESS_BLOCK,
    SSE_CONFIG_TYPES,
    SSE_HEADER,
    SSE_REQUEST_KEYS,
    bucket_policy_statements,
    sse_defaults,
)


def check_bucket_sse_kms(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    defaults = sse_defaults(resource)
    if resource.type in BUCKET_TYPES and not defaults:
        return  # no inline settings: the stack rule looks for a standalone configuration
    if not defaults:
        yield "the configuration has no default-encryption rule"
    for default in defaults:
        algorithm = default.get("sseAlgorithm")
        key = str(default.get("kmsMasterKeyId") or "")
        if algorithm not in KMS_SSE_VALUES:
            yield f"default encryption is {algorithm!r}, not SSE-KMS"
        elif not key or key.endswith("alias/aws/s3"):
            yield "default encryption uses the AWS-managed aws/s3 key, not a customer-managed key"


def check_public_access_block(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [f for f in flags if resource.props.get(f) is not True]
    if off:
        yield f"{', '.join(off)} not true"


def check_bucket_policy_tls(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found, problems = bucket_policy_statements(resource)
    yield from problems
    denies_plain_http = any(
        s.effect == "Deny"
        and s.grants("s3:GetObject")
        and any(
            c.base == "Bool" and "false" in [v.lower() for v in c.values]
            for c in s.conditions_on("aws:SecureTransport")
        )
        for s in found
    )
    if not denies_plain_http:
        yield "no statement denies requests with aws:SecureTransport false"


def check_bucket_policy_sse_kms(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found, problems = bucket_policy_statements(resource)
    yield from problems
    enforced = False
    for statement in found:
        for condition in statement.conditions_on(SSE_HEADER):
            literal = [v for v in condition.values if v.upper() in ("SSE-KMS", "SSE_KMS", "KMS")]
            if literal:
                yield (
                    f"{statement.label} compares {SSE_HEADER} with {literal[0]!r}; the header's value is 'aws:kms' "
                    "('SSE-KMS' is Hadoop's fs.s3a.encryption.algorithm setting), so this matches no request"
                )
            if (
                statement.effect == "Deny"
                and statement.grants("s3:PutObject")
                and condition.base == "StringNotEquals"
                and not condition.qualifier
                and set(condition.values) <= set(KMS_SSE_VALUES)
                and condition.values
            ):
                enforced = True
    if not enforced:
        yield f"no statement denies s3:PutObject when {SSE_HEADER} is not 'aws:kms'"


def _holds_without_the_header(condition: Condition) -> bool:
    """IAM semantics for a condition whose key is missing from the request (IAM User Guide, "Condition
    operators"): Null 'true' holds; a negated operator, any ...IfExists and ForAllValues hold."""
    if condition.base == "Null":
        return [v.lower() for v in condition.values] == ["true"]
    if condition.qualifier:
        return condition.qualifier == "ForAllValues"
    return condition.if_exists or "Not" in condition.base


def check_bucket_policy_sse_deny_multipart_safe(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found, problems = bucket_policy_statements(resource)
    yield from problems
    for statement in found:
        if statement.effect != "Deny" or not statement.grants("s3:PutObject"):
            continue
        on_headers = [c for c in statement.conditions if c.key.lower() in SSE_REQUEST_KEYS]
        if on_headers and all(_holds_without_the_header(c) for c in on_headers):
            operators = ", ".join(sorted({f"{c.operator} {c.key}" for c in on_headers}))
            yield (
                f"{statement.label} denies s3:PutObject when no encryption header is sent ({operators}); "
                "UploadPart, UploadPartCopy and CompleteMultipartUpload are authorized as s3:PutObject and carry "
                "no SSE header, so every multipart upload is denied"
            )


def check_bucket_policy_no_public_principal(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found, problems = bucket_policy_statements(resource)
    yield from problems
    for statement in found:
        if statement.allows and statement.any_principal:
            yield f"{statement.label} allows principal '*'"


def check_no_inline_bucket_policy(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.props.get("policy"):
        yield f"bucket {resource.props.get('bucket') or resource.name!r} sets the legacy inline policy"


RULES: tuple[Rule, ...] = (
    Rule(
        "GSF015",
        "bucket-sse-kms-cmk",
        "Bucket default encryption is SSE-KMS with a customer-managed key.",
        "AES256 and the aws/s3 key cannot be scoped by key policy or audited per key (Trivy AVD-AWS-0132).",
        "Set sseAlgorithm aws:kms and kmsMasterKeyId to your CMK's ARN.",
        "mandatory",
        SSE_CONFIG_TYPES | BUCKET_TYPES,
        check_bucket_sse_kms,
    ),
    Rule(
        "GSF016",
        "bucket-public-access-block",
        "All four public-access-block flags are true.",
        "Any flag left off lets an ACL or policy make data public (S3 User Guide; Checkov CKV_AWS_53-56).",
        "Set blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets to true.",
        "mandatory",
        frozenset({PUBLIC_ACCESS_BLOCK}),
        check_public_access_block,
    ),
    Rule(
        "GSF017",
        "bucket-policy-denies-plain-http",
        "Bucket policies deny requests without TLS.",
        "Credentials and data must not cross the network in clear text (S3 User Guide; AWS Security Hub S3.5).",
        'Add a Deny on s3:* with Bool {"aws:SecureTransport": "false"}.',
        "mandatory",
        frozenset({BUCKET_POLICY}),
        check_bucket_policy_tls,
    ),
    Rule(
        "GSF018",
        "bucket-policy-requires-sse-kms",
        "Bucket policies deny uploads whose SSE header is not 'aws:kms' (and never compare with 'SSE-KMS').",
        "Without it a writer can store objects outside the CMK; 'SSE-KMS' is Hadoop's setting, not the header "
        "value, so a deny on it blocks every upload or none.",
        'Deny s3:PutObject with Null {"s3:x-amz-server-side-encryption": "false"} and StringNotEquals '
        '{"s3:x-amz-server-side-encryption": "aws:kms"}.',
        "mandatory",
        frozenset({BUCKET_POLICY}),
        check_bucket_policy_sse_kms,
    ),
    Rule(
        "GSF019",
        "bucket-policy-no-public-principal",
        "Bucket policies allow no '*' principal.",
        "An Allow to '*' is public access unless the public access block catches it (S3 User Guide).",
        "Name the principals; let identity policies grant the federated roles.",
        "mandatory",
        frozenset({BUCKET_POLICY}),
        check_bucket_policy_no_public_principal,
    ),
    Rule(
        "GSF050",
        "bucket-policy-sse-deny-multipart-safe",
        "SSE denies in bucket policies match only requests that send a wrong encryption header.",
        "S3 authorizes each request with its own headers; multipart parts and CompleteMultipartUpload are "
        "s3:PutObject without SSE headers (S3 API reference, UploadPart; S3 User Guide, 'Multipart upload and "
        "permissions'), so a deny that holds when the header is missing (Null true, StringNotEquals, "
        "...IfExists) breaks every large upload.",
        'Guard each deny with Null {"<header>": "false"} and rely on bucket default encryption (SSE-KMS with '
        "the CMK) for requests without headers.",
        "mandatory",
        frozenset({BUCKET_POLICY}),
        check_bucket_policy_sse_deny_multipart_safe,
    ),
    Rule(
        "GSF031",
        "no-inline-bucket-policy",
        "S3 buckets carry no inline `policy`; bucket policies are BucketPolicy resources.",
        "pulumi-aws 7 deprecates it ('Use the s3.BucketPolicy resource instead'); it fights a BucketPolicy for "
        "the same bucket (each apply overwrites the other) and the bucket-policy rules read BucketPolicy resources.",
        "Move the document to aws.s3.BucketPolicy (SecureBucket writes one).",
        "mandatory",
        BUCKET_TYPES,
        check_no_inline_bucket_policy,
    ),
)
