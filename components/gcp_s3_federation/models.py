"""The stack-config models: the shape of `gcp-s3-federation:federation`, with every field rule taken
from `fields.py`. Frozen and strict about unknown keys; `config.load_config` is the way in."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .fields import (
    ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS,
    DEFAULT_AUDIT_RETENTION_DAYS,
    DEFAULT_DELETION_PROTECTION,
    DEFAULT_INGRESS,
    DEFAULT_MACHINE_TYPE,
    DEFAULT_MAX_INSTANCES,
    DEFAULT_MIN_INSTANCES,
    DEFAULT_NUM_WORKERS,
    DEFAULT_SESSION_SECONDS,
    AccessLevel,
    Audience,
    AwsAccount,
    AwsRegion,
    BucketName,
    Environment,
    GcpProject,
    GcpRegion,
    IamMember,
    Image,
    IngressSetting,
    KeyCreationConstraint,
    Kind,
    KmsKeyArn,
    OidcProviderArn,
    PermissionsBoundaryArn,
    Prefix,
    PrincipalArn,
    RevocationInstant,
    ServiceAccountId,
    SessionSeconds,
    TokenCreatorRole,
    WorkloadName,
    check_service_account_id,
)
from .s3a import DEFAULT_IMAGE_VERSION, REMOVED_DATAPROC_OPTIONS, image_line


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AwsPlacement(_Model):
    """Where the data lives."""

    account_id: AwsAccount = Field(description="12-digit AWS account that holds the buckets and roles.")
    region: AwsRegion = Field(description="AWS region of the buckets, e.g. eu-west-1.")


class GcpPlacement(_Model):
    """Where the workloads run, and who may act as their service accounts."""

    project: GcpProject = Field(description="GCP project id that owns the service accounts.")
    region: GcpRegion = Field(description="GCP region for Cloud Run and Dataproc, e.g. europe-west1.")
    deployers: tuple[IamMember, ...] = Field(
        default=(),
        description="IAM members given roles/iam.serviceAccountUser on every workload service account "
        "(they deploy Cloud Run revisions and Dataproc clusters that run as it).",
    )
    audit_token_minting: bool = Field(
        default=True, description="Data Access audit logs for iam.googleapis.com: every GenerateIdToken is recorded."
    )
    key_creation_constraints: tuple[KeyCreationConstraint, ...] = Field(
        default=(),
        description="Organization-policy constraints enforced on the project to forbid service-account keys "
        "(managed and/or legacy name).",
    )

    @field_validator("deployers")
    @classmethod
    def _unique_deployers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("lists a member twice")
        return value


class TrustConfig(_Model):
    """How AWS recognises Google-issued tokens."""

    mode: Literal["builtin", "oidc-provider"] = Field(
        default="builtin",
        description="builtin: the Federated accounts.google.com principal (AWS-documented default). "
        "oidc-provider: an IAM OIDC provider for https://accounts.google.com.",
    )
    oidc_provider_arn: OidcProviderArn | None = Field(
        default=None,
        description="oidc-provider mode only: adopt this existing provider instead of creating one.",
    )
    audience: Audience | None = Field(
        default=None,
        description="Audience the workloads request; becomes accounts.google.com:oaud. "
        "Default: gcp-s3-federation-<environment>.",
    )

    @model_validator(mode="after")
    def _mode_matches_arn(self) -> TrustConfig:
        if self.oidc_provider_arn is not None and self.mode != "oidc-provider":
            raise ValueError("oidc_provider_arn is only valid with mode: oidc-provider")
        return self


class SessionConfig(_Model):
    """Credential lifetimes. Short by default: 1 h; never more than 12 h."""

    default_duration_seconds: SessionSeconds = Field(
        default=DEFAULT_SESSION_SECONDS, description="DurationSeconds the workloads request (3600-43200)."
    )
    max_duration_seconds: SessionSeconds = Field(
        default=DEFAULT_SESSION_SECONDS, description="Each role's MaxSessionDuration (3600-43200)."
    )

    @model_validator(mode="after")
    def _default_within_max(self) -> SessionConfig:
        if self.default_duration_seconds > self.max_duration_seconds:
            raise ValueError("default_duration_seconds must not exceed max_duration_seconds")
        return self


class BucketConfig(_Model):
    """A bucket the workloads are granted prefixes in."""

    name: BucketName = Field(description="S3 bucket name.")
    mode: Literal["create", "adopt"] = Field(
        default="create", description="create a hardened bucket and key, or adopt an existing bucket."
    )
    kms_key_arn: KmsKeyArn | None = Field(
        default=None, description="adopt mode: full ARN of the bucket's customer-managed KMS key."
    )
    manage_bucket_policy: bool | None = Field(
        default=None,
        description="Write the bucket policy. Default: yes when created; no when adopted, because a "
        "bucket has one policy and writing ours would replace the owner's.",
    )
    abort_incomplete_uploads_after_days: int = Field(
        default=ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS,
        ge=1,
        le=365,
        description="create mode: a lifecycle rule aborts multipart uploads still incomplete after this "
        "many days (what S3A committers leave behind when they may not list uploads bucket-wide).",
    )

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
    prefix: Prefix = Field(description="Key prefix ending in '/', e.g. raw/events/.")
    access: AccessLevel = Field(description="read, write or read-write.")
    list_exact_prefix: bool | None = Field(
        default=None,
        description="Also allow listing with s3:prefix = the prefix without its slash, which Hadoop S3A needs to "
        "use the grant itself as a directory; it shows the names of keys beside the grant that start with the "
        "same characters. Default: true for dataproc workloads, false otherwise.",
    )


class CloudRunConfig(_Model):
    """A Cloud Run v2 service for a `cloud-run` workload (omit it to bring your own service)."""

    image: Image = Field(description="Container image, e.g. europe-docker.pkg.dev/p/r/app:1.2.3.")
    ingress: IngressSetting = Field(default=DEFAULT_INGRESS, description="Who may reach the service.")
    min_instances: int = Field(
        default=DEFAULT_MIN_INSTANCES, ge=0, le=1000, description="Minimum instances (0 scales to zero)."
    )
    max_instances: int = Field(default=DEFAULT_MAX_INSTANCES, ge=1, le=1000, description="Maximum instances.")
    deletion_protection: bool = Field(default=DEFAULT_DELETION_PROTECTION, description="Refuse to delete the service.")

    @model_validator(mode="after")
    def _scaling(self) -> CloudRunConfig:
        if self.min_instances > self.max_instances:
            raise ValueError("min_instances must not exceed max_instances")
        return self


class DataprocConfig(_Model):
    """A Dataproc cluster for a `dataproc` workload, with S3A wired to web identity."""

    image_version: str = Field(
        default=DEFAULT_IMAGE_VERSION,
        description="Dataproc image: 2.1, 2.2 or 2.3 (Hadoop 3.3.6, AWS SDK v1) or 3.0 (Hadoop 3.5.0, AWS SDK v2), "
        "optionally with a sub-minor version and OS suffix.",
    )
    subnetwork: str | None = Field(
        default=None,
        description="Subnetwork (internal IPs only, so it needs Private "
        "Google Access and a NAT or PrivateLink route to S3 and STS).",
    )
    num_workers: int = Field(default=DEFAULT_NUM_WORKERS, ge=2, le=1000, description="Primary workers.")
    master_machine_type: str = Field(default=DEFAULT_MACHINE_TYPE, description="Master machine type.")
    worker_machine_type: str = Field(default=DEFAULT_MACHINE_TYPE, description="Worker machine type.")

    @model_validator(mode="before")
    @classmethod
    def _removed_options(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for option, reason in REMOVED_DATAPROC_OPTIONS.items():
                if option in data:
                    raise ValueError(f"{option} was removed: {reason}; delete it")
        return data

    @field_validator("image_version")
    @classmethod
    def _image(cls, value: str) -> str:
        image_line(value)  # ValueError naming the supported image lines
        return value


class TokenCreator(_Model):
    """A principal allowed to ask Google for a workload's tokens: named, with a reason."""

    member: IamMember = Field(description="IAM member, e.g. serviceAccount:scheduler@p.iam.gserviceaccount.com.")
    reason: str = Field(description="Why it needs the workload's tokens (at least 10 characters).")
    role: TokenCreatorRole = Field(
        default="roles/iam.serviceAccountOpenIdTokenCreator", description="ID tokens only (default) or all tokens."
    )

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if len(value.strip()) < 10:
            raise ValueError("must say why this member needs the workload's tokens (at least 10 characters)")
        return value


class WorkloadConfig(_Model):
    """One GCP workload; it gets its own service account and its own AWS role."""

    name: WorkloadName = Field(description="Workload name: 2-40 chars of [a-z0-9-], starting with a letter.")
    kind: Kind = Field(description="cloud-run, dataproc or service-account-only.")
    service_account_id: ServiceAccountId | None = Field(
        default=None, description="GCP service account id (6-30 chars). Default: the workload name."
    )
    grants: tuple[Grant, ...] = Field(min_length=1, description="Bucket prefixes this workload may use.")
    revoke_sessions_issued_before: RevocationInstant | None = Field(
        default=None,
        description="Emergency switch: deny every session of this role issued before this instant (UTC).",
    )
    trust_suspended: bool = Field(default=False, description="Emergency switch: let no new session in.")
    cloud_run: CloudRunConfig | None = Field(default=None, description="cloud-run kind: the service to create.")
    dataproc: DataprocConfig | None = Field(default=None, description="dataproc kind: the cluster to create.")
    token_creators: tuple[TokenCreator, ...] = Field(
        default=(), description="Principals that may mint this workload's tokens, each with a reason (default none)."
    )
    adopt_service_account: bool = Field(
        default=False, description="Use the existing service account instead of creating it."
    )
    replace_foreign_bindings: bool = Field(
        default=False,
        description="Acknowledge that adopting replaces the account's whole IAM policy with the declared one.",
    )

    @model_validator(mode="after")
    def _compute_matches_kind(self) -> WorkloadConfig:
        if self.cloud_run is not None and self.kind != "cloud-run":
            raise ValueError("cloud_run is only valid with kind: cloud-run")
        if self.dataproc is not None and self.kind != "dataproc":
            raise ValueError("dataproc is only valid with kind: dataproc")
        return self

    @model_validator(mode="after")
    def _adoption_is_explicit(self) -> WorkloadConfig:
        if self.adopt_service_account and not self.replace_foreign_bindings:
            raise ValueError(
                "adopt_service_account replaces the account's whole IAM policy: every binding other than "
                "gcp.deployers and token_creators is removed. Review them (gcloud iam service-accounts "
                "get-iam-policy <email>) and set replace_foreign_bindings: true"
            )
        if self.replace_foreign_bindings and not self.adopt_service_account:
            raise ValueError("replace_foreign_bindings is only valid with adopt_service_account: true")
        members = [t.member for t in self.token_creators]
        if len(set(members)) != len(members):
            raise ValueError("token_creators lists a member twice")
        return self

    def lists_exact_prefix(self, grant: Grant) -> bool:
        """The grant's `list_exact_prefix`, defaulting to whether the workload runs Spark (S3A)."""
        return grant.list_exact_prefix if grant.list_exact_prefix is not None else self.kind == "dataproc"

    @model_validator(mode="after")
    def _name_as_account_id(self) -> WorkloadConfig:
        if self.service_account_id is None:
            try:
                check_service_account_id(self.name)
            except ValueError as error:
                raise ValueError(f"name (used as service_account_id) {error}") from None
        return self

    @property
    def account_id(self) -> str:
        return self.service_account_id or self.name


class AuditConfig(_Model):
    """Object-level audit: a CloudTrail trail with S3 data events for this stack's buckets."""

    cloudtrail: bool = Field(default=True, description="Create the trail and its hardened log bucket.")
    retention_days: int = Field(
        default=DEFAULT_AUDIT_RETENTION_DAYS, ge=90, le=3650, description="Days before log objects expire."
    )


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

    environment: Environment = Field(description="Environment name (dev, prod, ...): 2-16 chars of [a-z0-9-].")
    aws: AwsPlacement
    gcp: GcpPlacement
    trust: TrustConfig = TrustConfig()
    sessions: SessionConfig = SessionConfig()
    permissions_boundary_arn: PermissionsBoundaryArn | None = Field(
        default=None, description="Optional permissions boundary attached to every federated role."
    )
    admin_principal_arns: tuple[PrincipalArn, ...] = Field(
        default=(), description="Break-glass roles/users that the bucket policy lets past the path fence."
    )
    audit: AuditConfig = AuditConfig()
    limits: LimitsConfig = LimitsConfig()
    buckets: tuple[BucketConfig, ...] = Field(min_length=1)
    workloads: tuple[WorkloadConfig, ...] = Field(default=())

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
