"""A hardened S3 bucket with its own customer-managed KMS key, or an adopted existing bucket."""

import pulumi
import pulumi_aws as aws

from .args import SecureBucketArgs
from .documents import bucket_arn, bucket_policy, kms_key_policy, render
from .fields import (
    ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS,
    check_aws_account,
    check_aws_region,
    check_bucket_name,
    check_principal_arn,
    check_role_path,
    kms_key_rule,
    partition_for_region,
)
from .validation import validate_args

KEY_DELETION_WINDOW_DAYS = 30


def harden_bucket(
    name: str, bucket_id: pulumi.Input[str], kms_key_arn: pulumi.Input[str], parent: pulumi.Resource
) -> aws.s3.BucketPublicAccessBlock:
    """Owner-enforced objects, all four public-access blocks, SSE-KMS default with the key's full ARN
    and bucket keys, SSE-C blocked, and versioning; returns the public access block (a bucket policy
    should wait for it).

    Writes that name no encryption get this default, which is what lets multipart parts (which carry
    no SSE header) through the bucket policy. `blocked_encryption_types` is S3's bucket-level SSE-C
    block (S3 User Guide, "Blocking or unblocking SSE-C for a general purpose bucket")."""
    child = pulumi.ResourceOptions(parent=parent)
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket_id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket_id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    sse_kms_default(name, bucket_id, kms_key_arn, child)
    aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket_id, versioning_configuration={"status": "Enabled"}, opts=child
    )
    return public_access


def sse_kms_default(
    name: str, bucket_id: pulumi.Input[str], kms_key_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.s3.BucketServerSideEncryptionConfiguration:
    """Default encryption SSE-KMS under the key's full ARN, with S3 Bucket Keys, SSE-C blocked."""
    return aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket_id,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": kms_key_arn,
                },
                "bucket_key_enabled": True,
                "blocked_encryption_types": ["SSE-C"],
            }
        ],
        opts=opts,
    )


def abort_incomplete_uploads_rule(days: int) -> dict[str, object]:
    """Lifecycle rule that aborts multipart uploads left incomplete after `days` (and frees their parts).

    It replaces the bucket-wide `s3:ListBucketMultipartUploads` that S3A committers would need to clean
    up pending uploads themselves (hadoop-aws `committers.md`, `fs.s3a.committer.abort.pending.uploads`).
    """
    return {
        "id": "abort-incomplete-multipart-uploads",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "abort_incomplete_multipart_upload": {"days_after_initiation": days},
    }


class SecureBucket(pulumi.ComponentResource):
    """Bucket + SSE-KMS (CMK, bucket keys) + public access block + owner-enforced + versioning + a
    lifecycle rule that aborts incomplete multipart uploads.

    The bucket and key are retained on delete: removing a workload or destroying the stack never
    deletes data. With `existing_kms_key_arn` the bucket is adopted: nothing about it is created,
    and the bucket policy is written only when `manage_bucket_policy` is true.
    """

    bucket_name: pulumi.Output[str]
    """The bucket name."""
    bucket_arn: pulumi.Output[str]
    """The bucket ARN."""
    kms_key_arn: pulumi.Output[str]
    """The bucket's customer-managed key."""
    bucket_policy: pulumi.Output[str]
    """The rendered bucket policy JSON (also when not written, to merge by hand)."""

    def __init__(self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        rules = {
            "bucket": check_bucket_name,
            "account_id": check_aws_account,
            "region": check_aws_region,
            "role_path": check_role_path,
            "existing_kms_key_arn": kms_key_rule(args.get("region"), args.get("account_id")),
            "admin_principal_arns[]": check_principal_arn,
        }
        args = validate_args("SecureBucket", args, rules)
        super().__init__("gcp-s3-federation:index:SecureBucket", name, None, opts)
        bucket, account_id, region, role_path = args["bucket"], args["account_id"], args["region"], args["role_path"]
        existing_kms_key_arn = args.get("existing_kms_key_arn")
        # an adopted bucket has one policy, its owner's: ours replaces it only when asked (as the stack config does)
        writes_policy = args.get("manage_bucket_policy", existing_kms_key_arn is None)
        admin_principal_arns = args.get("admin_principal_arns", [])
        tags = args.get("tags", {})
        partition = partition_for_region(region)
        child = pulumi.ResourceOptions(parent=self)
        retained = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        depends: list[pulumi.Resource] = []
        if existing_kms_key_arn is None:
            key = aws.kms.Key(
                f"{name}-key",
                description=f"SSE-KMS for s3://{bucket}",
                enable_key_rotation=True,
                deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
                policy=render(
                    kms_key_policy(
                        account_id, region, role_path, admin_principal_arns, partition=partition, bucket=bucket
                    )
                ),
                tags=tags,
                opts=retained,
            )
            aws.kms.Alias(f"{name}-alias", name=f"alias/gcp-federation/{bucket}", target_key_id=key.key_id, opts=child)
            s3_bucket = aws.s3.Bucket(name, bucket=bucket, force_destroy=False, tags=tags, opts=retained)
            public_access = harden_bucket(name, s3_bucket.id, key.arn, self)
            aws.s3.BucketLifecycleConfiguration(
                f"{name}-lifecycle",
                bucket=s3_bucket.id,
                rules=[
                    abort_incomplete_uploads_rule(
                        args.get("abort_incomplete_uploads_after_days", ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS)
                    )
                ],
                opts=child,
            )
            depends.append(public_access)
            self.kms_key_arn = key.arn
            self.bucket_name = s3_bucket.bucket
        else:
            self.kms_key_arn = pulumi.Output.from_input(existing_kms_key_arn)
            self.bucket_name = pulumi.Output.from_input(bucket)
            if writes_policy:
                # Our policy lets writes without SSE headers through (multipart parts never carry them), so
                # it is safe only over an SSE-KMS default under this key: declare it too, retained on delete
                # so that removing the stack never resets the owner's bucket to SSE-S3.
                depends.append(sse_kms_default(name, bucket, existing_kms_key_arn, retained))
        self.bucket_arn = pulumi.Output.from_input(bucket_arn(bucket, partition))
        self.bucket_policy = self.kms_key_arn.apply(
            lambda key_arn: render(
                bucket_policy(bucket, key_arn, account_id, role_path, admin_principal_arns, partition=partition)
            )
        )
        if writes_policy:
            aws.s3.BucketPolicy(
                f"{name}-policy",
                bucket=self.bucket_name,
                policy=self.bucket_policy,
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
            )
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "kms_key_arn": self.kms_key_arn,
                "bucket_policy": self.bucket_policy,
            }
        )
