"""Rules that look across resources: document sizes (GSF025) and whole-stack views (GSF022-GSF024,
GSF032)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..documents import GOOGLE, Statement, as_list, is_sequence
from ..model import Resource, Rule
from .bucket import check_bucket_policy_tls
from .common import (
    BUCKET_POLICY,
    BUCKET_TYPES,
    KMS_KEY,
    KMS_KEY_POLICY,
    PUBLIC_ACCESS_BLOCK,
    ROLE,
    SSE_CONFIG_TYPES,
    dig,
    federated_roles,
    google_trust_statements,
    grants_s3,
    read_document,
    s3_arn_parts,
    sse_defaults,
)

# (type, property) -> (document, limit in characters; None = the configured trust limit)
SIZE_LIMITS: dict[tuple[str, str], tuple[str, int | None]] = {
    (ROLE, "assumeRolePolicy"): ("trust policy", None),
    ("aws:iam/rolePolicy:RolePolicy", "policy"): ("inline policy", 10240),
    ("aws:iam/policy:Policy", "policy"): ("managed policy", 6144),
    (BUCKET_POLICY, "policy"): ("bucket policy", 20480),
    (KMS_KEY, "policy"): ("key policy", 32768),
    (KMS_KEY_POLICY, "policy"): ("key policy", 32768),
}


def check_document_sizes(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for (typ, prop), (what, limit) in SIZE_LIMITS.items():
        if resource.type != typ:
            continue
        document, problems = read_document(resource.props.get(prop), what)
        yield from problems
        if document is None:
            continue
        size = len(json.dumps(_plain(document), separators=(",", ":")))
        allowed = limit if limit is not None else int(config["trustPolicyChars"])
        if size > allowed:
            yield f"the {what} is {size:,} characters (minified), over the {allowed:,} limit"


def _plain(value: Any) -> Any:
    """Proxied mappings and lists as plain JSON data."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if is_sequence(value):
        return [_plain(v) for v in value]
    return value


# --- GSF022-GSF023: whole-stack views ------------------------------------------------------------


def _bucket_name(resource: Resource) -> str:
    return str(resource.props.get("bucket") or resource.name)


def check_stack_bucket_protection(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    encrypted = {str(r.props.get("bucket")) for r in resources if r.type in SSE_CONFIG_TYPES}
    blocked = {str(r.props.get("bucket")) for r in resources if r.type == PUBLIC_ACCESS_BLOCK}
    for bucket in (r for r in resources if r.type in BUCKET_TYPES):
        name = _bucket_name(bucket)
        if name not in encrypted and not sse_defaults(bucket):
            yield bucket.urn, f"bucket {name!r} has no SSE-KMS configuration (inline or standalone)"
        if name not in blocked:
            yield bucket.urn, f"bucket {name!r} has no public access block"


def check_stack_one_role_per_service_account(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    roles_by_subject: dict[str, list[Resource]] = defaultdict(list)
    for role in (r for r in resources if r.type == ROLE):
        for statement in google_trust_statements(role):
            for subject in {v for c in statement.conditions_on(f"{GOOGLE}:sub") for v in c.values}:
                roles_by_subject[subject].append(role)
    for subject, roles in sorted(roles_by_subject.items()):
        if len(roles) > 1:
            names = ", ".join(sorted(r.name for r in roles))
            for role in roles:
                yield role.urn, f"service account {subject} is trusted by {len(roles)} roles ({names})"


LOGGING_TYPES = frozenset({"aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"})
TRAIL = "aws:cloudtrail/trail:Trail"


def _trail_covers(trail: Resource, bucket: str) -> bool:
    """Whether the trail records S3 object data events for `bucket` (advanced or classic selectors)."""
    arn = f"arn:aws:s3:::{bucket}/"
    for selector in as_list(trail.props.get("advancedEventSelectors")):
        fields = {str(f.get("field")): f for f in as_list(dig(selector, "fieldSelectors")) if isinstance(f, Mapping)}
        if "Data" not in as_list(dig(fields, "eventCategory", "equals")):
            continue
        arns = fields.get("resources.ARN")
        if arns is None or any(arn.startswith(str(p)) for p in as_list(arns.get("startsWiths"))):
            return True
        if any(str(v).startswith(arn) or str(v) == arn for v in as_list(arns.get("equals"))):
            return True
    for selector in as_list(trail.props.get("eventSelectors")):
        for data in as_list(dig(selector, "dataResources")):
            if (
                isinstance(data, Mapping)
                and data.get("type") == "AWS::S3::Object"
                and any(arn.startswith(str(v)) for v in as_list(data.get("values")))
            ):
                return True
    return False


def check_stack_bucket_access_logging(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    trails = [r for r in resources if r.type == TRAIL]
    logged = {str(r.props.get("bucket")) for r in resources if r.type in LOGGING_TYPES}
    destinations = {str(r.props.get("targetBucket")) for r in resources if r.type in LOGGING_TYPES}
    destinations |= {str(t.props.get("s3BucketName")) for t in trails}
    for bucket in (r for r in resources if r.type in BUCKET_TYPES):
        name = _bucket_name(bucket)
        if name in destinations or name in logged or bucket.props.get("loggings") or bucket.props.get("logging"):
            continue
        if not any(_trail_covers(t, name) for t in trails):
            yield bucket.urn, f"bucket {name!r} records no object-level access (no server access logging, no trail)"


def _denies_plain_http(policy: Resource) -> bool:
    return not list(check_bucket_policy_tls(policy, {}))


def _requires_tls(statement: Statement) -> bool:
    return any(
        c.base == "Bool" and not c.qualifier and not c.if_exists and [v.lower() for v in c.values] == ["true"]
        for c in statement.conditions_on("aws:SecureTransport")
    )


def check_stack_federated_buckets_require_tls(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    fenced = {_bucket_name(p) for p in resources if p.type == BUCKET_POLICY and _denies_plain_http(p)}
    for federated in federated_roles(resources):
        open_buckets: dict[str, list[str]] = defaultdict(list)
        for _, label, statement in federated.documents:
            if not grants_s3(statement) or _requires_tls(statement):
                continue
            for arn in statement.resources:
                parts = s3_arn_parts(arn)
                if parts and parts[0] not in fenced:
                    open_buckets[parts[0]].append(label)
        for bucket, labels in sorted(open_buckets.items()):
            yield (
                federated.role.urn,
                f"role {federated.name!r} reaches bucket {bucket!r} ({labels[0]}) with neither a bucket policy "
                "in the stack that denies plain HTTP nor aws:SecureTransport true on the grant",
            )


RULES: tuple[Rule, ...] = (
    Rule(
        "GSF022",
        "stack-buckets-protected",
        "Every S3 bucket in the stack has SSE-KMS settings and a public access block.",
        "pulumi-aws v7 configures these as separate resources; forgetting one leaves a bucket unprotected.",
        "Add BucketServerSideEncryptionConfiguration and BucketPublicAccessBlock for the bucket.",
        "mandatory",
        stack_check=check_stack_bucket_protection,
    ),
    Rule(
        "GSF023",
        "stack-one-role-per-service-account",
        "No Google service account is trusted by more than one role in the stack.",
        "Two roles for one SA blur which permissions a workload holds and which role's events are its own.",
        "Merge the grants into one role per service account.",
        "advisory",
        stack_check=check_stack_one_role_per_service_account,
    ),
    Rule(
        "GSF024",
        "stack-bucket-access-logging",
        "Every S3 bucket records object-level access (server access logging or CloudTrail data events).",
        "Without it nobody can say which workload read or wrote an object (Checkov CKV_AWS_18, Trivy AVD-AWS-0089).",
        "Enable the stack's audit trail (audit.cloudtrail) or S3 server access logging to a log bucket.",
        "advisory",
        stack_check=check_stack_bucket_access_logging,
    ),
    Rule(
        "GSF025",
        "document-size-limits",
        "Trust, inline, managed, bucket and key policies fit AWS's size limits (minified).",
        "An oversized document fails only at apply time, after part of the stack changed (IAM and STS quotas: "
        "trust 2,048, inline 10,240 per role, managed 6,144; bucket policy 20 KB; key policy 32 KB).",
        "Split grants across workloads, merge prefixes, or raise trustPolicyChars after a quota increase.",
        "mandatory",
        frozenset(t for t, _ in SIZE_LIMITS),
        check_document_sizes,
        config={"trustPolicyChars": 2048},
        config_schema={"trustPolicyChars": {"type": "integer", "minimum": 2048, "maximum": 8192}},
    ),
    Rule(
        "GSF032",
        "stack-federated-buckets-require-tls",
        "A bucket a federated role reaches has a TLS-denying bucket policy, or the role's grants require "
        "aws:SecureTransport.",
        "Adopted buckets often have no policy of ours, and then nothing stops a client on plain HTTP from sending "
        "the session's credentials and data in clear text (S3 User Guide, aws:SecureTransport; Security Hub S3.5).",
        'Add Bool {"aws:SecureTransport": "true"} to every Allow of the role (PrefixAccessPolicy does) or a '
        "BucketPolicy that denies aws:SecureTransport false.",
        "mandatory",
        stack_check=check_stack_federated_buckets_require_tls,
    ),
)
