"""Federate an existing bucket for one Cloud Run service, from another stack.

The bucket and its key stay under their owner's control: nothing about them is created, and the
bucket policy this stack would want is exported for the owner to merge.
"""

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from gcp_s3_federation import (
    CloudRunOptions,
    FederatedWorkload,
    FederatedWorkloadArgs,
    GrantArgs,
    SecureBucket,
    SecureBucketArgs,
)

config = pulumi.Config()
account_id, aws_region = config.require("awsAccountId"), config.require("awsRegion")
bucket, kms_key_arn = config.require("bucket"), config.require("kmsKeyArn")
project, gcp_region = config.require("gcpProject"), config.require("gcpRegion")
environment = pulumi.get_stack()
role_path = f"/gcp-federation/{environment}/"

data_account = aws.Provider("data-account", region=aws_region, allowed_account_ids=[account_id])
workload_project = gcp.Provider("workload-project", project=project, region=gcp_region)

shared = SecureBucket(
    "shared-reports",
    SecureBucketArgs(
        bucket=bucket,
        account_id=account_id,
        region=aws_region,
        role_path=role_path,
        existing_kms_key_arn=kms_key_arn,
        manage_bucket_policy=False,
    ),
    opts=pulumi.ResourceOptions(provider=data_account),
)

api = FederatedWorkload(
    "reports-api",
    FederatedWorkloadArgs(
        kind="cloud-run",
        service_account_id="reports-api",
        gcp_project=project,
        environment=environment,
        aws_region=aws_region,
        principal="accounts.google.com",
        audience=f"gcp-s3-federation-{environment}",
        grants=[GrantArgs(bucket=bucket, prefix="reports/monthly/", access="read", kms_key_arn=kms_key_arn)],
        role_path=role_path,
        gcp_region=gcp_region,
        cloud_run=CloudRunOptions(image=config.require("image")),
        # Who may deploy revisions running as the service account: its whole IAM policy.
        deployers=config.require_object("deployers"),
    ),
    opts=pulumi.ResourceOptions(providers={"aws": data_account, "gcp": workload_project}),
)

pulumi.export("role_arn", api.role_arn)
pulumi.export("environment_variables", api.environment_variables)
pulumi.export("cloud_run", api.compute)
pulumi.export("bucket_policy_for_the_owner_to_merge", shared.bucket_policy)
