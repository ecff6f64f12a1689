"""Plan-time size budgets: every generated document measured as IAM counts it, before any resource.

AWS limits (IAM and STS quotas, S3 and KMS user guides): trust policy 2,048 characters (raisable by
quota request), inline policies 10,240 per role combined, bucket policy 20 KB, key policy 32 KB.
Whitespace does not count, so documents are measured minified. Values only known after deploy (service
account unique ids, created key ARNs) are measured at their maximum length.
"""

from __future__ import annotations

from dataclasses import dataclass

from .documents import (
    GOOGLE_PROVIDER,
    PrefixGrant,
    bucket_policy,
    google_trust_policy,
    kms_key_policy,
    minified_size,
    prefix_access_policy,
)
from .fields import partition_for_region
from .models import FederationConfig, WorkloadConfig
from .naming import session_name

INLINE_POLICIES_PER_ROLE = 10240
BUCKET_POLICY = 20480
KEY_POLICY = 32768
LONGEST_UNIQUE_ID = "9" * 21
LONGEST_OIDC_PRINCIPAL = "arn:aws-us-gov:iam::000000000000:oidc-provider/accounts.google.com"


PLACEHOLDER_KEY_ID = "00000000-0000-0000-0000-000000000000"  # as long as any KMS key id


def _created_key_arn(config: FederationConfig) -> str:
    partition = partition_for_region(config.aws.region)
    return f"arn:{partition}:kms:{config.aws.region}:{config.aws.account_id}:key/{PLACEHOLDER_KEY_ID}"


@dataclass(frozen=True)
class Measurement:
    """One document's size against its limit; `owner` is the config path that produces it."""

    owner: str
    document: str
    size: int
    limit: int

    @property
    def over(self) -> bool:
        return self.size > self.limit

    def problem(self, fix: str) -> str:
        return (
            f"{self.owner}: the {self.document} would be {self.size:,} characters, over its {self.limit:,} limit; {fix}"
        )


def key_arn_for(config: FederationConfig, bucket: str) -> str:
    return config.bucket(bucket).kms_key_arn or _created_key_arn(config)


def workload_documents(config: FederationConfig, index: int, workload: WorkloadConfig) -> list[Measurement]:
    owner = f"workloads[{index}] ({workload.name})"
    principal = GOOGLE_PROVIDER if config.trust.mode == "builtin" else LONGEST_OIDC_PRINCIPAL
    trust = google_trust_policy(
        principal, LONGEST_UNIQUE_ID, config.audience, session_name(workload.account_id, config.gcp.project)
    )
    grants = [
        PrefixGrant(g.bucket, g.prefix, g.access, key_arn_for(config, g.bucket), workload.lists_exact_prefix(g))
        for g in workload.grants
    ]
    identity = prefix_access_policy(grants, config.aws.region, partition=partition_for_region(config.aws.region))
    return [
        Measurement(owner, "trust policy", minified_size(trust), config.limits.trust_policy_chars),
        Measurement(owner, "inline identity policy", minified_size(identity), INLINE_POLICIES_PER_ROLE),
    ]


def stack_documents(config: FederationConfig) -> list[Measurement]:
    found = []
    for index, bucket in enumerate(config.buckets):
        owner = f"buckets[{index}] ({bucket.name})"
        if bucket.writes_bucket_policy:
            document = bucket_policy(
                bucket.name,
                key_arn_for(config, bucket.name),
                config.aws.account_id,
                config.role_path,
                config.admin_principal_arns,
                partition=partition_for_region(config.aws.region),
            )
            found.append(Measurement(owner, "bucket policy", minified_size(document), BUCKET_POLICY))
        if bucket.mode == "create":
            key = kms_key_policy(
                config.aws.account_id,
                config.aws.region,
                config.role_path,
                config.admin_principal_arns,
                partition=partition_for_region(config.aws.region),
                bucket=bucket.name,
            )
            found.append(Measurement(owner, "key policy", minified_size(key), KEY_POLICY))
    return found


def budget_problems(config: FederationConfig) -> list[str]:
    """Every document over its limit, and every quota the stack would exceed, as config errors."""
    problems = []
    for index, workload in enumerate(config.workloads):
        for measurement in workload_documents(config, index, workload):
            if measurement.over:
                fix = (
                    "raise limits.trust_policy_chars after a quota increase, or shorten the audience"
                    if measurement.document == "trust policy"
                    else "give the workload fewer grants (merge prefixes) or split it into two workloads"
                )
                problems.append(measurement.problem(fix))
    for measurement in stack_documents(config):
        if measurement.over:
            problems.append(measurement.problem("remove admin_principal_arns entries"))
    if len(config.workloads) > config.limits.roles_per_account:
        limit = config.limits.roles_per_account
        problems.append(
            f"workloads: {len(config.workloads)} roles exceed limits.roles_per_account ({limit}, the IAM quota); "
            "request an increase and raise the limit, or split across accounts"
        )
    if len(config.workloads) > config.limits.service_accounts_per_project:
        problems.append(
            f"workloads: {len(config.workloads)} service accounts exceed limits.service_accounts_per_project "
            f"({config.limits.service_accounts_per_project}, the GCP quota); request an increase and raise the "
            "limit, or split across projects"
        )
    return problems
