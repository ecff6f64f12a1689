"""Typed arguments of the public components.

TypedDicts with a docstring on every field: IDEs show them, and Pulumi's component provider turns them
into the package schema that TypeScript, Go and YAML programs use. No postponed annotations here: the
schema is read from the runtime annotations.
"""

from typing import NotRequired, TypedDict

import pulumi


class GrantArgs(TypedDict):
    """Access to one prefix of one bucket."""

    bucket: str
    """S3 bucket name."""
    prefix: str
    """Key prefix ending in '/', e.g. raw/events/."""
    access: str
    """read, write or read-write."""
    kms_key_arn: pulumi.Input[str]
    """ARN of the customer-managed KMS key that encrypts the bucket."""
    list_exact_prefix: NotRequired[bool]
    """Also allow listing with s3:prefix = the prefix without its slash, so that S3A can use the grant itself as
    a directory (default false; it shows the names of keys beside the grant that start with the same characters)."""


class GoogleOidcProviderArgs(TypedDict):
    """The account's IAM OIDC provider for https://accounts.google.com."""

    client_ids: pulumi.Input[list[str]]
    """Every audience in use and every service-account unique id (duplicates are dropped; at most 100)."""
    existing_arn: NotRequired[str]
    """Adopt this provider instead of creating one; its owner must keep the client-ID list complete."""
    tags: NotRequired[dict[str, str]]
    """Tags for the provider."""


class FederatedRoleArgs(TypedDict):
    """One role trusting exactly one Google service account and one audience."""

    role_name: str
    """IAM role name (unique in the account, at most 64 chars)."""
    path: str
    """IAM path, e.g. /gcp-federation/dev/; bucket and key policies match it."""
    principal: pulumi.Input[str]
    """accounts.google.com (built-in provider) or the IAM OIDC provider ARN."""
    service_account_unique_id: pulumi.Input[str]
    """The service account's numeric unique id (the token's azp and sub)."""
    audience: str
    """The audience the workload requests (the token's aud, accounts.google.com:oaud)."""
    session_name: str
    """Role session name pinned with sts:RoleSessionName (<account_id>@<project>)."""
    max_session_duration: NotRequired[int]
    """MaxSessionDuration in seconds, 3600-43200 (default 3600)."""
    permissions_boundary_arn: NotRequired[str]
    """Optional permissions boundary policy ARN."""
    tags: NotRequired[dict[str, str]]
    """Tags for the role."""
    sessions_issued_before: NotRequired[str]
    """Emergency switch: deny sessions issued before this ISO 8601 UTC instant."""
    trust_suspended: NotRequired[bool]
    """Emergency switch: replace the trust with a deny (no new sessions)."""


class PrefixAccessPolicyArgs(TypedDict):
    """The role's least-privilege identity policy for its prefix grants."""

    role_name: pulumi.Input[str]
    """Name of the role the inline policy is attached to."""
    grants: list[GrantArgs]
    """Bucket prefixes and access modes."""
    region: str
    """AWS region of the buckets (for kms:ViaService)."""


class SecureBucketArgs(TypedDict):
    """A hardened bucket with its own CMK, or an adopted bucket."""

    bucket: str
    """S3 bucket name."""
    account_id: str
    """12-digit AWS account id."""
    region: str
    """AWS region of the bucket."""
    role_path: str
    """The environment's federated role path; the bucket and key policies match it."""
    existing_kms_key_arn: NotRequired[str]
    """Adopt an existing bucket encrypted with this key: nothing about the bucket is created."""
    manage_bucket_policy: NotRequired[bool]
    """Write the bucket policy (default: true when created, false when adopted, because it would replace the
    owner's). On an adopted bucket it also sets the default encryption to SSE-KMS under the key (retained on
    delete), which the policy relies on for writes without SSE headers."""
    admin_principal_arns: NotRequired[list[str]]
    """Break-glass role or user ARNs let past the path fence."""
    abort_incomplete_uploads_after_days: NotRequired[int]
    """Created buckets: a lifecycle rule aborts multipart uploads still incomplete after this many days
    (default 7)."""
    tags: NotRequired[dict[str, str]]
    """Tags for the bucket and key."""


class TokenCreatorArgs(TypedDict):
    """A principal allowed to ask Google for the service account's tokens, and why."""

    member: str
    """IAM member, e.g. serviceAccount:scheduler@p.iam.gserviceaccount.com."""
    reason: str
    """Why it needs the workload's tokens (kept next to the grant for reviewers)."""
    role: NotRequired[str]
    """roles/iam.serviceAccountOpenIdTokenCreator (default: ID tokens only) or roles/iam.serviceAccountTokenCreator."""


class WorkloadServiceAccountArgs(TypedDict):
    """A keyless, dedicated GCP service account with an authoritative IAM policy."""

    account_id: str
    """Service account id, [a-z][-a-z0-9]{4,28}[a-z0-9]."""
    project: str
    """GCP project id."""
    environment: str
    """Environment name (recorded in the description)."""
    kind: str
    """cloud-run, dataproc or service-account-only (decides the project roles)."""
    deployers: NotRequired[list[str]]
    """IAM members given roles/iam.serviceAccountUser on the account (they deploy what runs as it)."""
    token_creators: NotRequired[list[TokenCreatorArgs]]
    """Principals given a token-creator role on the account, each with a reason (default: none)."""
    adopt_existing: NotRequired[bool]
    """Read an existing account instead of creating one. Its IAM policy is REPLACED: every binding not
    declared here (deployers, token creators) is removed."""


class CloudRunOptions(TypedDict):
    """The Cloud Run service of a cloud-run workload."""

    image: str
    """Container image (it must include gcp-aws-credentials)."""
    ingress: NotRequired[str]
    """INGRESS_TRAFFIC_INTERNAL_ONLY (default), INGRESS_TRAFFIC_ALL or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."""
    min_instances: NotRequired[int]
    """Minimum instances (default 0)."""
    max_instances: NotRequired[int]
    """Maximum instances (default 10)."""
    deletion_protection: NotRequired[bool]
    """Refuse deletion (default true)."""


class CloudRunServiceArgs(TypedDict):
    """A Cloud Run v2 service running as the workload's service account."""

    service: CloudRunOptions
    """Image, ingress, scaling and deletion protection."""
    service_account_email: pulumi.Input[str]
    """The workload's service account."""
    environment: pulumi.Input[dict[str, str]]
    """Container env: role ARN, session name, region, audience; never a secret."""
    project: str
    """GCP project id."""
    region: str
    """GCP region."""
    labels: NotRequired[dict[str, str]]
    """Labels for the service."""


class DataprocOptions(TypedDict):
    """The Dataproc cluster of a dataproc workload."""

    image_version: NotRequired[str]
    """Dataproc image (default 2.3-debian12): 2.1, 2.2, 2.3 (Hadoop 3.3.6, AWS SDK v1) or 3.0 (Hadoop 3.5.0, SDK v2)."""
    subnetwork: NotRequired[str]
    """Subnetwork (internal IPs only)."""
    num_workers: NotRequired[int]
    """Primary workers (default 2)."""
    master_machine_type: NotRequired[str]
    """Master machine type (default n2-standard-4)."""
    worker_machine_type: NotRequired[str]
    """Worker machine type (default n2-standard-4)."""


class DataprocClusterArgs(TypedDict):
    """A Dataproc cluster whose JVMs reach S3 through web identity."""

    cluster: DataprocOptions
    """Image, network and sizes."""
    service_account_email: pulumi.Input[str]
    """The workload's service account."""
    role_arn: pulumi.Input[str]
    """The federated role."""
    session_name: str
    """Role session name pinned by the trust."""
    audience: str
    """Token audience."""
    project: str
    """GCP project id."""
    region: str
    """GCP region."""
    aws_region: str
    """AWS region of the buckets."""
    bucket_keys: dict[str, pulumi.Input[str]]
    """Bucket name -> KMS key ARN, for per-bucket SSE-KMS settings."""
    labels: NotRequired[dict[str, str]]
    """Labels for the cluster and staging bucket."""


class AuditTrailArgs(TypedDict):
    """A CloudTrail trail with S3 data events and its hardened log bucket."""

    trail_name: str
    """Trail name."""
    log_bucket: str
    """Name of the log bucket to create."""
    account_id: str
    """12-digit AWS account id."""
    region: str
    """Home region of the trail."""
    data_buckets: list[str]
    """Buckets whose object-level events are recorded."""
    retention_days: NotRequired[int]
    """Days before log objects expire (default 400)."""
    tags: NotRequired[dict[str, str]]
    """Tags for the trail, bucket and key."""


class FederatedWorkloadArgs(TypedDict):
    """One workload: service account, role, prefix policy and optional compute."""

    kind: str
    """cloud-run, dataproc or service-account-only."""
    service_account_id: str
    """GCP service account id."""
    gcp_project: str
    """GCP project of the service account and compute."""
    environment: str
    """Environment name, for names and tags."""
    aws_region: str
    """AWS region of the buckets."""
    principal: pulumi.Input[str]
    """accounts.google.com or the IAM OIDC provider ARN."""
    audience: str
    """Token audience."""
    grants: list[GrantArgs]
    """Bucket prefixes and access modes."""
    role_path: str
    """The environment's federated role path."""
    max_session_duration: NotRequired[int]
    """Role MaxSessionDuration (default 3600)."""
    default_session_duration: NotRequired[int]
    """DurationSeconds the workload requests (default 3600)."""
    permissions_boundary_arn: NotRequired[str]
    """Optional permissions boundary."""
    gcp_region: NotRequired[str]
    """GCP region for compute."""
    sessions_issued_before: NotRequired[str]
    """Emergency switch: revoke sessions issued before this ISO 8601 UTC instant."""
    trust_suspended: NotRequired[bool]
    """Emergency switch: no new sessions."""
    cloud_run: NotRequired[CloudRunOptions]
    """Create a Cloud Run service (cloud-run kind)."""
    dataproc: NotRequired[DataprocOptions]
    """Create a Dataproc cluster (dataproc kind)."""
    deployers: NotRequired[list[str]]
    """IAM members given roles/iam.serviceAccountUser on the workload's service account."""
    token_creators: NotRequired[list[TokenCreatorArgs]]
    """Principals given a token-creator role on the service account, each with a reason."""
    adopt_service_account: NotRequired[bool]
    """Adopt an existing service account; its IAM policy is replaced by the declared one."""


class GcpTrustGuardArgs(TypedDict):
    """Project-level guards of the GCP side of the trust."""

    project: str
    """GCP project id that owns the workload service accounts."""
    audit_token_minting: NotRequired[bool]
    """Data Access audit logs (ADMIN_READ, DATA_READ) for iam.googleapis.com, which record every
    GenerateIdToken call (default true)."""
    key_creation_constraints: NotRequired[list[str]]
    """Organization-policy constraints enforced on the project to forbid service-account keys:
    iam.managed.disableServiceAccountKeyCreation and/or the legacy iam.disableServiceAccountKeyCreation
    (default: none)."""
