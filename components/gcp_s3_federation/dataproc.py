"""A Dataproc cluster whose every JVM reaches S3 through web identity, with no static key."""

import shlex
from collections.abc import Mapping
from importlib import resources

import pulumi
import pulumi_gcp as gcp

from .args import DataprocClusterArgs

TOKEN_FILE = "/run/gcp-aws/token"
REFRESH_INTERVAL_SECONDS = 300
SDK_V1_PROVIDER = "com.amazonaws.auth.WebIdentityTokenCredentialsProvider"
SDK_V2_PROVIDER = "software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider"
ENV_PREFIXES = ("spark-env:", "hadoop-env:", "spark:spark.executorEnv.", "spark:spark.yarn.appMasterEnv.")


def credentials_provider_class(image_version: str) -> str:
    """S3A's web-identity provider for the image's AWS SDK: 2.x images ship Hadoop 3.3 (SDK v1),
    3.x images Hadoop 3.4 (SDK v2)."""
    return SDK_V1_PROVIDER if image_version.startswith("2.") else SDK_V2_PROVIDER


def s3a_properties(
    role_arn: str,
    session_name: str,
    image_version: str,
    region: str,
    bucket_keys: Mapping[str, str],
    hadoop_aws_package: str | None = None,
) -> dict[str, str]:
    """Cluster properties: web identity for driver, executors and application master; SSE-KMS and
    region per bucket. `bucket_keys` maps bucket name to its KMS key ARN."""
    env = {
        "AWS_ROLE_ARN": role_arn,
        "AWS_WEB_IDENTITY_TOKEN_FILE": TOKEN_FILE,
        "AWS_ROLE_SESSION_NAME": session_name,
        "AWS_REGION": region,
    }
    properties = {f"{prefix}{name}": value for prefix in ENV_PREFIXES for name, value in env.items()}
    properties["core:fs.s3a.aws.credentials.provider"] = credentials_provider_class(image_version)
    for bucket, key_arn in sorted(bucket_keys.items()):
        properties[f"core:fs.s3a.bucket.{bucket}.encryption.algorithm"] = "SSE-KMS"
        properties[f"core:fs.s3a.bucket.{bucket}.encryption.key"] = key_arn
        properties[f"core:fs.s3a.bucket.{bucket}.endpoint.region"] = region
    if hadoop_aws_package:
        properties["spark:spark.jars.packages"] = hadoop_aws_package
    return properties


def staging_bucket_name(project: str, workload: str) -> str:
    """A globally unique, valid GCS bucket name (at most 63 chars, ends with a letter or digit)."""
    return f"{project}-{workload}-dataproc"[:63].rstrip("-")


def init_action_script(audience: str, runtime_package: str, interval: int = REFRESH_INTERVAL_SECONDS) -> str:
    """The node initialization script with this workload's values filled in (shell-quoted)."""
    template = resources.files(__package__).joinpath("dataproc_init.sh").read_text()
    return (
        template.replace("@AUDIENCE@", shlex.quote(audience))
        .replace("@RUNTIME_PACKAGE@", shlex.quote(runtime_package))
        .replace("@INTERVAL_SECONDS@", str(interval))
    )


class DataprocCluster(pulumi.ComponentResource):
    """Cluster (internal IPs only, dedicated service account), a hardened staging bucket, and the
    init action that keeps the token file fresh on every node."""

    cluster_name: pulumi.Output[str]
    """The cluster name."""
    staging_bucket: pulumi.Output[str]
    """The staging bucket (holds the init action)."""

    def __init__(self, name: str, args: DataprocClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gcp-s3-federation:index:DataprocCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        project, region, labels = args["project"], args["region"], args.get("labels", {})
        options = args["cluster"]
        image_version = options.get("image_version", "2.3-debian12")
        staging = gcp.storage.Bucket(
            f"{name}-staging",
            name=staging_bucket_name(project, name),
            project=project,
            location=region,
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            labels=labels,
            opts=child,
        )
        init = gcp.storage.BucketObject(
            f"{name}-init",
            bucket=staging.name,
            name="gcp-s3-federation/init-token-refresher.sh",
            content=init_action_script(args["audience"], options.get("runtime_package", "gcp-aws-credentials==0.1.0")),
            content_type="text/x-shellscript",
            opts=child,
        )
        bucket_keys = args["bucket_keys"]
        buckets = sorted(bucket_keys)
        session_name, aws_region, hadoop_aws = (
            args["session_name"],
            args["aws_region"],
            options.get("hadoop_aws_package"),
        )
        properties = pulumi.Output.all(args["role_arn"], *[bucket_keys[b] for b in buckets]).apply(
            lambda values: s3a_properties(
                values[0],
                session_name,
                image_version,
                aws_region,
                dict(zip(buckets, values[1:], strict=True)),
                hadoop_aws,
            )
        )
        gce: dict[str, object] = {
            "service_account": args["service_account_email"],
            "service_account_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
            "internal_ip_only": True,
        }
        if options.get("subnetwork"):
            gce["subnetwork"] = options["subnetwork"]
        cluster = gcp.dataproc.Cluster(
            name,
            name=name,
            project=project,
            region=region,
            labels=labels,
            cluster_config={
                "staging_bucket": staging.name,
                "gce_cluster_config": gce,
                "master_config": {
                    "num_instances": 1,
                    "machine_type": options.get("master_machine_type", "n2-standard-4"),
                },
                "worker_config": {
                    "num_instances": options.get("num_workers", 2),
                    "machine_type": options.get("worker_machine_type", "n2-standard-4"),
                },
                "software_config": {"image_version": image_version, "override_properties": properties},
                "initialization_actions": [
                    {"script": pulumi.Output.concat("gs://", staging.name, "/", init.name), "timeout_sec": 600}
                ],
            },
            opts=child,
        )
        self.cluster_name = cluster.name
        self.staging_bucket = staging.name
        self.register_outputs({"cluster_name": self.cluster_name, "staging_bucket": self.staging_bucket})
