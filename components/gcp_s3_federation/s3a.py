"""Hadoop S3A cluster properties for each supported Dataproc image line: plain data in, dict out.

Sources (each fact below is checked against these):
- Image lines: Dataproc version list and release notes (docs.cloud.google.com/dataproc/docs/concepts/
  versioning/dataproc-version-clusters, .../release-notes): 2.1 (late), 2.2 and 2.3 ship Hadoop 3.3.6
  (AWS SDK for Java v1); 3.0 ships Hadoop 3.5.0 with Spark 4.1 and Java 21 (the 3.0 preview had
  Hadoop 3.4.1: also SDK v2). Version format `major.minor[.subminor][-os]` (Dataproc versioning overview).
- Credential providers: hadoop-aws `aws_sdk_upgrade.md` ("Automatic aws-sdk-bundle credential provider
  remapping" lists five v1 classes; `com.amazonaws.auth.WebIdentityTokenCredentialsProvider` is not one,
  so 3.4+ needs the v2 class by name, which S3A builds through its static `create()`); both classes read
  AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_SESSION_NAME from the environment, and their
  STS client takes its region from AWS_REGION.
- Environment: hadoop-aws `authentication.md` ("Authenticating via the AWS Environment Variables"):
  environment variables are not propagated from client to YARN containers; they must be set where the
  work runs. Hence one entry per JVM kind (see `JVM_ENV_PREFIXES`).
- Encryption: hadoop-aws `encryption.md` ("Enabling SSE-KMS", "Use S3a per-bucket configuration") and
  `Constants.java` (`S3_ENCRYPTION_ALGORITHM = "fs.s3a.encryption.algorithm"`, `S3_ENCRYPTION_KEY`; the
  older `fs.s3a.server-side-encryption-algorithm`/`.key` are `@Deprecated` aliases, same meaning) on
  both the 3.3 and 3.4+ lines.
- Region: `Constants.java` `AWS_REGION = "fs.s3a.endpoint.region"` (Hadoop 3.3.1+), avoids region probes.
- Committers: `CommitConstants.java` `fs.s3a.committer.abort.pending.uploads` (default true, 3.3.1+):
  true lists every pending upload of the bucket at job commit (`s3:ListBucketMultipartUploads`, which no
  prefix grant covers); false leaves abandoned uploads to the bucket's abort-incomplete-upload lifecycle rule.
- Directory markers: hadoop-aws `directory_markers.md`: 3.3.1+ accepts `fs.s3a.directory.marker.retention`
  (default `delete` on 3.3, which multi-deletes parent marker keys above the written path, outside a
  prefix grant); 3.4 defaults to `keep`; 3.5 always keeps them. So only the 3.3 line gets `keep`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gcp_aws_credentials.environment import WorkloadEnvironment

DEFAULT_IMAGE_VERSION = "2.3-debian12"
TOKEN_FILE = "/run/gcp-aws/token"

SDK_V1_PROVIDER = "com.amazonaws.auth.WebIdentityTokenCredentialsProvider"
SDK_V2_PROVIDER = "software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider"

JVM_ENV_PREFIXES = {
    "spark-env:": "Spark driver on the master (client mode, the Dataproc default): spark-env.sh",
    "spark:spark.executorEnv.": "every Spark executor container",
    "spark:spark.yarn.appMasterEnv.": "the YARN application master (and the driver in cluster mode)",
    "hadoop-env:": "Hadoop command-line tools on the nodes (hadoop fs, distcp): hadoop-env.sh",
}
"""Dataproc cluster-property prefixes that put an environment variable into each kind of JVM."""


@dataclass(frozen=True)
class ImageLine:
    """What a Dataproc image line ships that the S3A settings depend on."""

    hadoop: str
    aws_sdk: str
    credentials_provider: str
    directory_marker_retention: str | None
    """`keep` where the line's default would delete parent markers; None where it already keeps them."""


_HADOOP_3_3 = ImageLine("3.3.6", "v1", SDK_V1_PROVIDER, "keep")
_HADOOP_3_5 = ImageLine("3.5.0", "v2", SDK_V2_PROVIDER, None)

IMAGE_LINES: dict[str, ImageLine] = {"2.1": _HADOOP_3_3, "2.2": _HADOOP_3_3, "2.3": _HADOOP_3_3, "3.0": _HADOOP_3_5}
"""Supported Dataproc image lines (major.minor). 2.0 (Hadoop 3.2) lacks the S3A settings rendered here."""

REMOVED_DATAPROC_OPTIONS = {
    "runtime_package": "the init action installs no package (it needs only the metadata server)",
    "hadoop_aws_package": "spark.jars.packages downloads from Maven Central; stage jars in GCS instead "
    "(README: Spark on Dataproc (S3A))",
}
"""Options of earlier releases that are refused with the reason rather than silently ignored."""

_IMAGE_VERSION = re.compile(r"(?P<line>[0-9]+\.[0-9]+)(\.[0-9]+)?(-(debian|ubuntu|rocky)[0-9]+)?")


def image_line(image_version: str) -> ImageLine:
    """The image line of a Dataproc image version such as `2.3`, `2.2.45-debian12` or `3.0-ubuntu24`;
    ValueError naming the supported lines otherwise."""
    match = _IMAGE_VERSION.fullmatch(image_version)
    line = IMAGE_LINES.get(match["line"]) if match else None
    if line is None:
        supported = ", ".join(f"{name} (Hadoop {ln.hadoop}, AWS SDK {ln.aws_sdk})" for name, ln in IMAGE_LINES.items())
        raise ValueError(
            f"{image_version!r} is not a supported Dataproc image version: use {supported}, optionally with a "
            "sub-minor version and an OS suffix, e.g. 2.3-debian12 or 3.0-ubuntu24"
        )
    return line


def s3a_properties(
    role_arn: str,
    session_name: str,
    image_version: str,
    region: str,
    bucket_keys: Mapping[str, str],
) -> dict[str, str]:
    """Dataproc cluster properties: web identity in every JVM, and per bucket SSE-KMS with its key and
    region. `bucket_keys` maps bucket name to its KMS key ARN. Nothing here downloads anything."""
    line = image_line(image_version)
    env = WorkloadEnvironment(role_arn, session_name, region, token_file=TOKEN_FILE).variables()
    properties = {f"{prefix}{name}": value for prefix in JVM_ENV_PREFIXES for name, value in env.items()}
    properties["core:fs.s3a.aws.credentials.provider"] = line.credentials_provider
    properties["core:fs.s3a.committer.abort.pending.uploads"] = "false"
    if line.directory_marker_retention:
        properties["core:fs.s3a.directory.marker.retention"] = line.directory_marker_retention
    for bucket, key_arn in sorted(bucket_keys.items()):
        properties[f"core:fs.s3a.bucket.{bucket}.encryption.algorithm"] = "SSE-KMS"
        properties[f"core:fs.s3a.bucket.{bucket}.encryption.key"] = key_arn
        properties[f"core:fs.s3a.bucket.{bucket}.endpoint.region"] = region
    return properties
