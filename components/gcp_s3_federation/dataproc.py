"""A Dataproc cluster whose every JVM reaches S3 through web identity, with no static key and no
package download: the init action needs only GCS (where it is staged), the metadata server and the image."""

import shlex
from importlib import resources

import pulumi
import pulumi_gcp as gcp

from .args import DataprocClusterArgs
from .fields import (
    DEFAULT_MACHINE_TYPE,
    DEFAULT_NUM_WORKERS,
    check_audience,
    check_aws_region,
    check_gcp_project,
    check_gcp_region,
    check_session_name,
)
from .s3a import DEFAULT_IMAGE_VERSION, REMOVED_DATAPROC_OPTIONS, TOKEN_FILE, image_line, s3a_properties
from .validation import validate_args

ARGUMENT_RULES = {
    "project": check_gcp_project,
    "region": check_gcp_region,
    "aws_region": check_aws_region,
    "audience": check_audience,
    "session_name": check_session_name,
}

REFRESH_INTERVAL_SECONDS = 300
"""Google ID tokens live one hour; a refresh every 5 minutes leaves 55 minutes of retries."""
RETRY_SECONDS = 10
FIRST_TOKEN_ATTEMPTS = 20
"""With curl's 10 s timeout and the retry pause, at most 400 s: within the init action's 600 s."""


def staging_bucket_name(project: str, workload: str) -> str:
    """A globally unique, valid GCS bucket name (at most 63 chars, ends with a letter or digit)."""
    return f"{project}-{workload}-dataproc"[:63].rstrip("-")


def init_action_script(
    audience: str,
    interval: int = REFRESH_INTERVAL_SECONDS,
    retry: int = RETRY_SECONDS,
    first_token_attempts: int = FIRST_TOKEN_ATTEMPTS,
) -> str:
    """The node initialization script with this workload's values filled in (shell-quoted)."""
    if not audience.isprintable() or any(c.isspace() for c in audience):
        raise ValueError(f"audience {audience!r} must be printable with no whitespace")
    template = resources.files(__package__).joinpath("dataproc_init.sh").read_text()
    return (
        template.replace("@AUDIENCE@", shlex.quote(audience))
        .replace("@TOKEN_FILE@", shlex.quote(TOKEN_FILE))
        .replace("@INTERVAL_SECONDS@", str(int(interval)))
        .replace("@RETRY_SECONDS@", str(int(retry)))
        .replace("@FIRST_TOKEN_ATTEMPTS@", str(int(first_token_attempts)))
    )


def check_options(name: str, options: dict[str, object]) -> str:
    """The cluster's image version, after refusing removed options and unsupported images (ValueError
    naming the field), before any resource is declared."""
    for option, reason in REMOVED_DATAPROC_OPTIONS.items():
        if option in options:
            raise ValueError(f"DataprocCluster {name}: cluster.{option} was removed: {reason}")
    image_version = str(options.get("image_version", DEFAULT_IMAGE_VERSION))
    try:
        image_line(image_version)
    except ValueError as error:
        raise ValueError(f"DataprocCluster {name}: cluster.image_version: {error}") from None
    return image_version


class DataprocCluster(pulumi.ComponentResource):
    """Cluster (internal IPs only, dedicated service account), a hardened staging bucket, and the
    init action that keeps the token file fresh on every node."""

    cluster_name: pulumi.Output[str]
    """The cluster name."""
    staging_bucket: pulumi.Output[str]
    """The staging bucket (holds the init action)."""

    def __init__(self, name: str, args: DataprocClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = validate_args("DataprocCluster", args, ARGUMENT_RULES)
        options = args["cluster"]
        image_version = check_options(name, dict(options))
        super().__init__("gcp-s3-federation:index:DataprocCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        project, region, labels = args["project"], args["region"], args.get("labels", {})
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
            content=init_action_script(args["audience"]),
            content_type="text/x-shellscript",
            opts=child,
        )
        bucket_keys = args["bucket_keys"]
        buckets = sorted(bucket_keys)
        session_name, aws_region = args["session_name"], args["aws_region"]
        properties = pulumi.Output.all(args["role_arn"], *[bucket_keys[b] for b in buckets]).apply(
            lambda values: s3a_properties(
                values[0],
                session_name,
                image_version,
                aws_region,
                dict(zip(buckets, values[1:], strict=True)),
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
                    "machine_type": options.get("master_machine_type", DEFAULT_MACHINE_TYPE),
                },
                "worker_config": {
                    "num_instances": options.get("num_workers", DEFAULT_NUM_WORKERS),
                    "machine_type": options.get("worker_machine_type", DEFAULT_MACHINE_TYPE),
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
