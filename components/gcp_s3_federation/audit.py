"""Object-level audit trail: a CloudTrail trail with S3 data events for the federated buckets."""

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from .args import AuditTrailArgs
from .documents import audit_log_bucket_policy, audit_log_key_policy, bucket_arn, render, trail_arn
from .fields import (
    DEFAULT_AUDIT_RETENTION_DAYS,
    check_aws_account,
    check_aws_region,
    check_bucket_name,
    partition_for_region,
)
from .secure_bucket import KEY_DELETION_WINDOW_DAYS, harden_bucket
from .validation import validate_args

ARGUMENT_RULES = {
    "log_bucket": check_bucket_name,
    "account_id": check_aws_account,
    "region": check_aws_region,
    "data_buckets[]": check_bucket_name,
}


def data_event_selectors(buckets: Sequence[str], partition: str = "aws") -> list[dict[str, object]]:
    """Management events (AssumeRoleWithWebIdentity among them) plus S3 object events on the buckets.
    One ARN prefix per bucket: the selector does not grow with workloads."""
    return [
        {"name": "Management events", "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]},
        {
            "name": "S3 object events on federated buckets",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {"field": "resources.ARN", "starts_withs": [f"{bucket_arn(b, partition)}/" for b in sorted(buckets)]},
            ],
        },
    ]


class AuditTrail(pulumi.ComponentResource):
    """Trail (multi-region, log file validation) writing to a hardened log bucket.

    The log bucket is SSE-KMS with its own rotating key, versioned, owner-enforced, fully
    public-access-blocked, expires logs after `retention_days`, and only CloudTrail may write to it;
    nobody may delete log objects. Bucket and key are retained on delete.
    """

    trail_arn: pulumi.Output[str]
    """The trail ARN."""
    log_bucket: pulumi.Output[str]
    """The log bucket name."""

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = validate_args("AuditTrail", args, ARGUMENT_RULES)
        super().__init__("gcp-s3-federation:index:AuditTrail", name, None, opts)
        tags = args.get("tags", {})
        trail_name, log_bucket, account_id = args["trail_name"], args["log_bucket"], args["account_id"]
        child = pulumi.ResourceOptions(parent=self)
        retained = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        partition = partition_for_region(args["region"])
        arn = trail_arn(account_id, args["region"], trail_name, partition)
        key = aws.kms.Key(
            f"{name}-key",
            description=f"CloudTrail logs of {trail_name}",
            enable_key_rotation=True,
            deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
            policy=render(audit_log_key_policy(account_id, arn, partition=partition)),
            tags=tags,
            opts=retained,
        )
        bucket = aws.s3.Bucket(f"{name}-logs", bucket=log_bucket, force_destroy=False, tags=tags, opts=retained)
        public_access = harden_bucket(f"{name}-logs", bucket.id, key.arn, self)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs-retention",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-audit-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.get("retention_days", DEFAULT_AUDIT_RETENTION_DAYS)},
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                }
            ],
            opts=child,
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-logs-policy",
            bucket=bucket.id,
            policy=render(audit_log_bucket_policy(log_bucket, account_id, arn, partition=partition)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        trail = aws.cloudtrail.Trail(
            name,
            name=trail_name,
            s3_bucket_name=bucket.id,
            kms_key_id=key.arn,
            enable_log_file_validation=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            advanced_event_selectors=data_event_selectors(args["data_buckets"], partition),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.trail_arn = trail.arn
        self.log_bucket = bucket.bucket
        self.register_outputs({"trail_arn": self.trail_arn, "log_bucket": self.log_bucket})
