"""Stack configuration: one structured setting, validated before any resource is declared.

The whole stack is described by the `gcp-s3-federation:federation` config value. `load_config` turns
the raw JSON into a frozen `FederationConfig` or raises `ConfigError`, whose lines each name a field
path and the rule it broke.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MIN_SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 43200
MAX_OIDC_CLIENT_IDS = 100

Access = Literal["read", "write", "read-write"]
WorkloadKind = Literal["cloud-run", "dataproc", "service-account-only"]

_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,14}[a-z0-9]$")
_WORKLOAD_NAME = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
_GCP_ACCOUNT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_GCP_PROJECT = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_AWS_ACCOUNT = re.compile(r"^[0-9]{12}$")
_AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")
_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_KMS_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)
_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/accounts\.google\.com$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[\w+=,.@/-]+$")
_PERMISSIONS_BOUNDARY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[\w+=,.@/-]+$")
_FORBIDDEN_IN_PREFIX = ("*", "?", "${", "..", "//")


class ConfigError(Exception):
    """Invalid stack configuration; each line names a field path and the rule it broke."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid federation config:\n" + "\n".join(f"  - {p}" for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AwsPlacement(_Model):
    """Where the data lives."""

    account_id: str = Field(description="12-digit AWS account that holds the buckets and roles.")
    region: str = Field(description="AWS region of the buckets, e.g. eu-west-1.")

    @field_validator("account_id")
    @classmethod
    def _account(cls, value: str) -> str:
        if not _AWS_ACCOUNT.fullmatch(value):
            raise ValueError("must be a 12-digit AWS account id (quote it in YAML)")
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not _AWS_REGION.fullmatch(value):
            raise ValueError("must be an AWS region name such as eu-west-1")
        return value


class GcpPlacement(_Model):
    """Where the workloads run."""

    project: str = Field(description="GCP project id that owns the service accounts.")
    region: str = Field(description="GCP region for Cloud Run and Dataproc, e.g. europe-west1.")

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _GCP_PROJECT.fullmatch(value):
            raise ValueError("must be a GCP project id: 6-30 chars, [a-z][-a-z0-9]*[a-z0-9]")
        return value


class TrustConfig(_Model):
    """How AWS recognises Google-issued tokens."""

    mode: Literal["builtin", "oidc-provider"] = Field(
        default="builtin",
        description="builtin: the Federated accounts.google.com principal (AWS-documented default). "
        "oidc-provider: an IAM OIDC provider for https://accounts.google.com.",
    )
    oidc_provider_arn: str | None = Field(
        default=None,
        description="oidc-provider mode only: adopt this existing provider instead of creating one.",
    )
    audience: str | None = Field(
        default=None,
        description="Audience the workloads request; becomes accounts.google.com:oaud. "
        "Default: gcp-s3-federation-<environment>.",
    )

    @field_validator("oidc_provider_arn")
    @classmethod
    def _provider_arn(cls, value: str | None) -> str | None:
        if value is not None and not _OIDC_PROVIDER_ARN.fullmatch(value):
            raise ValueError("must be arn:aws:iam::<account>:oidc-provider/accounts.google.com")
        return value

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.strip():
            raise ValueError("must not be empty")
        if any(c in value for c in "*?") or "${" in value:
            raise ValueError("must be an exact string: wildcards (*, ?) and ${...} are not allowed")
        if any(c.isspace() or ord(c) < 32 for c in value) or len(value) > 255:
            raise ValueError("must be at most 255 characters, without whitespace or control characters")
        return value

    @model_validator(mode="after")
    def _mode_matches_arn(self) -> TrustConfig:
        if self.oidc_provider_arn is not None and self.mode != "oidc-provider":
            raise ValueError("oidc_provider_arn is only valid with mode: oidc-provider")
        return self


class SessionConfig(_Model):
    """Credential lifetimes. Short by default: 1 h; never more than 12 h."""

    default_duration_seconds: int = Field(
        default=MIN_SESSION_SECONDS, description="DurationSeconds the workloads request (3600-43200)."
    )
    max_duration_seconds: int = Field(
        default=MIN_SESSION_SECONDS, description="Each role's MaxSessionDuration (3600-43200)."
    )

    @field_validator("default_duration_seconds", "max_duration_seconds")
    @classmethod
    def _within_sts_limits(cls, value: int) -> int:
        if not MIN_SESSION_SECONDS <= value <= MAX_SESSION_SECONDS:
            raise ValueError(f"must be between {MIN_SESSION_SECONDS} and {MAX_SESSION_SECONDS} seconds (1-12 h)")
        return value

    @model_validator(mode="after")
    def _default_within_max(self) -> SessionConfig:
        if self.default_duration_seconds > self.max_duration_seconds:
            raise ValueError("default_duration_seconds must not exceed max_duration_seconds")
        return self


def _check_bucket_name(value: str) -> str:
    if not _BUCKET_CHARS.fullmatch(value):
        raise ValueError(
            "must be an S3 bucket name: 3-63 chars of a-z, 0-9, '.' and '-', starting and ending with a letter or digit"
        )
    if ".." in value or ".-" in value or "-." in value:
        raise ValueError("must not contain '..', '.-' or '-.' (S3 bucket naming rules)")
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        pass
    else:
        raise ValueError("must not be formatted as an IP address (S3 bucket naming rules)")
    if value.startswith(_BUCKET_RESERVED_PREFIXES) or value.endswith(_BUCKET_RESERVED_SUFFIXES):
        raise ValueError("uses a prefix or suffix that S3 reserves (xn--, sthree-, -s3alias, --ol-s3, ...)")
    return value


BucketName = Annotated[str, Field(description="S3 bucket name.")]


class BucketConfig(_Model):
    """A bucket the workloads are granted prefixes in."""

    name: BucketName
    mode: Literal["create", "adopt"] = Field(
        default="create", description="create a hardened bucket and key, or adopt an existing bucket."
    )
    kms_key_arn: str | None = Field(
        default=None, description="adopt mode: full ARN of the bucket's customer-managed KMS key."
    )
    manage_bucket_policy: bool | None = Field(
        default=None,
        description="Write the bucket policy. Default: yes when created; no when adopted, because a "
        "bucket has one policy and writing ours would replace the owner's.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_bucket_name(value)

    @field_validator("kms_key_arn")
    @classmethod
    def _key_arn(cls, value: str | None) -> str | None:
        if value is not None and not _KMS_KEY_ARN.fullmatch(value):
            raise ValueError("must be a full KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias")
        return value

    @model_validator(mode="after")
    def _adopt_needs_key(self) -> BucketConfig:
        if self.mode == "adopt" and self.kms_key_arn is None:
            raise ValueError("kms_key_arn is required when mode is adopt")
        if self.mode == "create" and self.kms_key_arn is not None:
            raise ValueError("kms_key_arn is only valid with mode: adopt (created buckets get their own key)")
        return self

    @property
    def writes_bucket_policy(self) -> bool:
        if self.manage_bucket_policy is None:
            return self.mode == "create"
        return self.manage_bucket_policy


class Grant(_Model):
    """Access to one prefix of one bucket."""

    bucket: str = Field(description="Name of a bucket declared under buckets.")
    prefix: str = Field(description="Key prefix ending in '/', e.g. raw/events/.")
    access: Access = Field(description="read, write or read-write.")

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty (grant a named prefix, never the whole bucket)")
        if value.startswith("/"):
            raise ValueError("must not start with '/' (S3 keys have no leading slash)")
        if not value.endswith("/"):
            raise ValueError("must end with '/' so that 'raw/' never matches 'raw2/'")
        for token in _FORBIDDEN_IN_PREFIX:
            if token in value:
                raise ValueError(f"must not contain {token!r} (wildcards, variables, '..' and empty segments)")
        if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("must not contain whitespace or control characters")
        if len(value.encode()) > 512:
            raise ValueError("must be at most 512 bytes")
        return value


class CloudRunConfig(_Model):
    """A Cloud Run v2 service for a `cloud-run` workload (omit it to bring your own service)."""

    image: str = Field(description="Container image, e.g. europe-docker.pkg.dev/p/r/app:1.2.3.")
    ingress: Literal[
        "INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    ] = Field(default="INGRESS_TRAFFIC_INTERNAL_ONLY", description="Who may reach the service.")
    min_instances: int = Field(default=0, ge=0, le=1000, description="Minimum instances (0 scales to zero).")
    max_instances: int = Field(default=10, ge=1, le=1000, description="Maximum instances.")
    deletion_protection: bool = Field(default=True, description="Refuse to delete the service.")

    @model_validator(mode="after")
    def _scaling(self) -> CloudRunConfig:
        if self.min_instances > self.max_instances:
            raise ValueError("min_instances must not exceed max_instances")
        return self


class DataprocConfig(_Model):
    """A Dataproc cluster for a `dataproc` workload, with S3A wired to web identity."""

    image_version: str = Field(
        default="2.3-debian12",
        description="Dataproc image; 2.x = Hadoop 3.3 (AWS SDK v1), 3.x = Hadoop 3.4 (AWS SDK v2).",
    )
    subnetwork: str | None = Field(
        default=None,
        description="Subnetwork (internal IPs only, so it needs Private "
        "Google Access and a NAT or PrivateLink route to S3 and STS).",
    )
    num_workers: int = Field(default=2, ge=2, le=1000, description="Primary workers.")
    master_machine_type: str = Field(default="n2-standard-4", description="Master machine type.")
    worker_machine_type: str = Field(default="n2-standard-4", description="Worker machine type.")
    runtime_package: str = Field(
        default="gcp-aws-credentials==0.1.0", description="pip requirement the init action installs on every node."
    )
    hadoop_aws_package: str | None = Field(
        default=None,
        description="Maven coordinates added to spark.jars.packages when the image lacks hadoop-aws "
        "(e.g. org.apache.hadoop:hadoop-aws:3.3.6); by default the image's own jars are used.",
    )

    @field_validator("image_version")
    @classmethod
    def _image(cls, value: str) -> str:
        if not re.fullmatch(r"[23]\.[0-9]+(\.[0-9]+)?(-[a-z0-9]+)?", value):
            raise ValueError("must be a Dataproc 2.x or 3.x image version such as 2.3-debian12")
        return value


class WorkloadConfig(_Model):
    """One GCP workload; it gets its own service account and its own AWS role."""

    name: str = Field(description="Workload name: 2-40 chars of [a-z0-9-], starting with a letter.")
    kind: WorkloadKind = Field(description="cloud-run, dataproc or service-account-only.")
    service_account_id: str | None = Field(
        default=None, description="GCP service account id (6-30 chars). Default: the workload name."
    )
    grants: tuple[Grant, ...] = Field(min_length=1, description="Bucket prefixes this workload may use.")
    revoke_sessions_issued_before: datetime | None = Field(
        default=None,
        description="Emergency switch: deny every session of this role issued before this instant (UTC).",
    )
    trust_suspended: bool = Field(default=False, description="Emergency switch: let no new session in.")
    cloud_run: CloudRunConfig | None = Field(default=None, description="cloud-run kind: the service to create.")
    dataproc: DataprocConfig | None = Field(default=None, description="dataproc kind: the cluster to create.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _WORKLOAD_NAME.fullmatch(value):
            raise ValueError("must be 2-40 chars of [a-z0-9-], starting with a letter and not ending with '-'")
        return value

    @field_validator("revoke_sessions_issued_before")
    @classmethod
    def _revocation_instant(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return value
        if value.tzinfo is None:
            raise ValueError("must carry a timezone, e.g. 2026-11-23T10:00:00Z")
        if value > datetime.now(UTC) + timedelta(minutes=5):
            raise ValueError("must not be in the future: it would also refuse the sessions you issue next")
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _compute_matches_kind(self) -> WorkloadConfig:
        if self.cloud_run is not None and self.kind != "cloud-run":
            raise ValueError("cloud_run is only valid with kind: cloud-run")
        if self.dataproc is not None and self.kind != "dataproc":
            raise ValueError("dataproc is only valid with kind: dataproc")
        return self

    @model_validator(mode="after")
    def _account_id(self) -> WorkloadConfig:
        if not _GCP_ACCOUNT_ID.fullmatch(self.account_id):
            field = "service_account_id" if self.service_account_id else "name (used as service_account_id)"
            raise ValueError(f"{field} must match [a-z][-a-z0-9]{{4,28}}[a-z0-9] (GCP service account id rules)")
        return self

    @property
    def account_id(self) -> str:
        return self.service_account_id or self.name


class AuditConfig(_Model):
    """Object-level audit: a CloudTrail trail with S3 data events for this stack's buckets."""

    cloudtrail: bool = Field(default=True, description="Create the trail and its hardened log bucket.")
    retention_days: int = Field(default=400, ge=90, le=3650, description="Days before log objects expire.")


class LimitsConfig(_Model):
    """AWS and GCP limits checked at plan time; raise them only after the provider raised the quota."""

    trust_policy_chars: int = Field(
        default=2048, ge=2048, le=8192, description="IAM role trust policy size quota (2,048 default; raisable)."
    )
    roles_per_account: int = Field(default=1000, ge=1, le=5000, description="IAM roles per account quota.")
    service_accounts_per_project: int = Field(
        default=100, ge=1, le=10000, description="GCP service accounts per project quota."
    )


class FederationConfig(_Model):
    """The whole stack: placement, trust, lifetimes, buckets and workloads."""

    environment: str = Field(description="Environment name (dev, prod, ...): 2-16 chars of [a-z0-9-].")
    aws: AwsPlacement
    gcp: GcpPlacement
    trust: TrustConfig = TrustConfig()
    sessions: SessionConfig = SessionConfig()
    permissions_boundary_arn: str | None = Field(
        default=None, description="Optional permissions boundary attached to every federated role."
    )
    admin_principal_arns: tuple[str, ...] = Field(
        default=(), description="Break-glass roles/users that the bucket policy lets past the path fence."
    )
    audit: AuditConfig = AuditConfig()
    limits: LimitsConfig = LimitsConfig()
    buckets: tuple[BucketConfig, ...] = Field(min_length=1)
    workloads: tuple[WorkloadConfig, ...] = Field(default=())

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        if not _ENVIRONMENT.fullmatch(value):
            raise ValueError("must be 2-16 chars of [a-z0-9-], starting with a letter")
        return value

    @field_validator("permissions_boundary_arn")
    @classmethod
    def _boundary(cls, value: str | None) -> str | None:
        if value is not None and not _PERMISSIONS_BOUNDARY_ARN.fullmatch(value):
            raise ValueError("must be an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name>)")
        return value

    @field_validator("admin_principal_arns")
    @classmethod
    def _admins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for arn in value:
            if not _PRINCIPAL_ARN.fullmatch(arn):
                raise ValueError(f"{arn!r} must be an exact IAM role or user ARN (no wildcards)")
        return value

    @property
    def audience(self) -> str:
        return self.trust.audience or f"gcp-s3-federation-{self.environment}"

    @property
    def trail_name(self) -> str:
        return f"gcp-federation-{self.environment}"

    @property
    def audit_log_bucket(self) -> str:
        return f"gcp-federation-{self.environment}-audit-{self.aws.account_id}"

    @property
    def role_path(self) -> str:
        return f"/gcp-federation/{self.environment}/"

    def bucket(self, name: str) -> BucketConfig:
        return next(b for b in self.buckets if b.name == name)


def _cross_field_problems(config: FederationConfig) -> list[str]:
    """Rules that span several entries; each names the path of the offending entry."""
    problems: list[str] = []
    _duplicates(problems, "buckets", "name", [b.name for b in config.buckets])
    _duplicates(problems, "workloads", "name", [w.name for w in config.workloads])
    _duplicates(problems, "workloads", "service_account_id", [w.account_id for w in config.workloads])
    if config.trust.mode == "oidc-provider" and len(config.workloads) + 1 > MAX_OIDC_CLIENT_IDS:
        problems.append(
            f"workloads: {len(config.workloads)} workloads plus the audience exceed the IAM OIDC provider's "
            f"{MAX_OIDC_CLIENT_IDS} client ids; use trust.mode builtin or split the stack"
        )
    bucket_names = {b.name for b in config.buckets}
    for w_index, workload in enumerate(config.workloads):
        for g_index, grant in enumerate(workload.grants):
            path = f"workloads[{w_index}].grants[{g_index}]"
            if grant.bucket not in bucket_names:
                problems.append(f"{path}.bucket: {grant.bucket!r} is not declared under buckets")
            for o_index, other in enumerate(workload.grants[:g_index]):
                if other.bucket != grant.bucket:
                    continue
                if other.prefix == grant.prefix:
                    problems.append(f"{path}.prefix: duplicates grants[{o_index}] ({grant.prefix!r}); merge them")
                elif grant.prefix.startswith(other.prefix) or other.prefix.startswith(grant.prefix):
                    problems.append(
                        f"{path}.prefix: {grant.prefix!r} overlaps grants[{o_index}] ({other.prefix!r}); "
                        "keep one grant per prefix tree"
                    )
    return problems


def _duplicates(problems: list[str], collection: str, field: str, values: list[str]) -> None:
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            problems.append(f"{collection}[{index}].{field}: {value!r} duplicates {collection}[{seen[value]}]")
        else:
            seen[value] = index


def _format_location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _format_error(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; see the config reference in README.md)"
    elif error["type"] == "missing":
        message = "is required"
    return f"{_format_location(tuple(error['loc']))}: {message}"


def load_config(raw: Any) -> FederationConfig:
    """Validate the raw `federation` config value; raise ConfigError naming every problem."""
    if not isinstance(raw, dict):
        raise ConfigError(["(top level): the federation setting must be a mapping"])
    try:
        config = FederationConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError([_format_error(e) for e in error.errors()]) from None
    problems = _cross_field_problems(config)
    if not problems:
        from .budget import budget_problems  # measures documents, so it needs a consistent config

        problems = budget_problems(config)
    if problems:
        raise ConfigError(problems)
    return config
