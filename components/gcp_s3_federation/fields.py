"""Field rules: the single home of what a valid bucket name, prefix, access level, service-account id,
audience, session duration, KMS key ARN, region and partition are.

Each rule is a plain function that returns the value or raises `ValueError` with the rule in words.
The stack-config models (`models.py`) use them through the `Annotated` types below; the component
constructors use them through `validate_args`, so both doors reject the same values with the same words.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator

MIN_SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 43200
DEFAULT_SESSION_SECONDS = MIN_SESSION_SECONDS
MAX_OIDC_CLIENT_IDS = 100

# Defaults used by both the config models and the components (one home each).
Ingress = Literal["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"]
DEFAULT_INGRESS: Ingress = "INGRESS_TRAFFIC_INTERNAL_ONLY"
DEFAULT_MIN_INSTANCES = 0
DEFAULT_MAX_INSTANCES = 10
DEFAULT_DELETION_PROTECTION = True
DEFAULT_AUDIT_RETENTION_DAYS = 400
ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS = 7
DEFAULT_NUM_WORKERS = 2
DEFAULT_MACHINE_TYPE = "n2-standard-4"

Access = Literal["read", "write", "read-write"]
"""One access level type for the config models, the component arguments and the documents."""
WorkloadKind = Literal["cloud-run", "dataproc", "service-account-only"]
Partition = Literal["aws", "aws-us-gov", "aws-cn"]
TokenCreatorRole = Literal["roles/iam.serviceAccountOpenIdTokenCreator", "roles/iam.serviceAccountTokenCreator"]
KeyCreationConstraint = Literal["iam.managed.disableServiceAccountKeyCreation", "iam.disableServiceAccountKeyCreation"]
"""The managed constraint (current) and the legacy boolean one (Google Cloud docs: Restrict service account usage)."""

_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,14}[a-z0-9]$")
_WORKLOAD_NAME = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
_GCP_ACCOUNT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_GCP_PROJECT = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
_AWS_ACCOUNT = re.compile(r"^[0-9]{12}$")
# AWS region names: <area>-<direction>-<n> (AWS General Reference, "AWS Regions"); the areas of the
# aws, aws-us-gov and aws-cn partitions. A new area is one line here.
_AWS_REGION = re.compile(
    r"^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-"
    r"(north|south|east|west|central|northeast|southeast|northwest|southwest)-[0-9]{1,2}$"
)
# GCP region names such as europe-west1, us-central1, northamerica-northeast2 (Google Cloud docs,
# "Regions and zones"); a zone (europe-west1-b) is not a region.
_GCP_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]{1,2}$")
_SA_UNIQUE_ID = re.compile(r"^[0-9]{1,32}$")
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
# Member syntax from Google's IAM "Principal identifiers" reference.
_EMAIL = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_MEMBER_FORMS = (
    re.compile(rf"^user:{_EMAIL}$"),
    re.compile(rf"^group:{_EMAIL}$"),
    re.compile(rf"^serviceAccount:{_EMAIL}$"),
    re.compile(r"^domain:[a-z0-9-]+(\.[a-z0-9-]+)+$"),
    re.compile(r"^principal(Set)?://[a-z0-9.-]+\.googleapis\.com/[^\s*]+$"),
)
_PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def _text(rule: Callable[[str], str]) -> Callable[[Any], str]:
    """A string rule that first rejects non-strings with a message instead of a TypeError."""

    @functools.wraps(rule)
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {type(value).__name__}")
        return rule(value)

    return check


@_text
def check_iam_member(value: str) -> str:
    """Return `value` if it names exact principals; raise ValueError saying which forms are allowed."""
    if value in _PUBLIC_MEMBERS:
        raise ValueError(f"{value!r} would let anyone on the internet act as the service account")
    if value.startswith(("deleted:", "projectOwner:", "projectEditor:", "projectViewer:")):
        raise ValueError(f"{value!r} is not a principal that can be granted on a service account")
    if not any(form.fullmatch(value) for form in _MEMBER_FORMS):
        raise ValueError(
            f"{value!r} is not an IAM member: use user:EMAIL, group:EMAIL, serviceAccount:EMAIL, domain:DOMAIN, "
            "or principal://... / principalSet://... (no wildcards)"
        )
    return value


def partition_for_region(region: str) -> Partition:
    """The AWS partition that holds `region` (AWS General Reference, "ARN format"): every ARN and
    principal the components render uses it."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


@_text
def check_environment(value: str) -> str:
    if not _ENVIRONMENT.fullmatch(value):
        raise ValueError("must be 2-16 chars of [a-z0-9-], starting with a letter")
    return value


@_text
def check_workload_name(value: str) -> str:
    if not _WORKLOAD_NAME.fullmatch(value):
        raise ValueError("must be 2-40 chars of [a-z0-9-], starting with a letter and not ending with '-'")
    return value


@_text
def check_service_account_id(value: str) -> str:
    if not _GCP_ACCOUNT_ID.fullmatch(value):
        raise ValueError("must match [a-z][-a-z0-9]{4,28}[a-z0-9] (GCP service account id rules)")
    return value


@_text
def check_gcp_project(value: str) -> str:
    if not _GCP_PROJECT.fullmatch(value):
        raise ValueError("must be a GCP project id: 6-30 chars, [a-z][-a-z0-9]*[a-z0-9]")
    return value


@_text
def check_aws_account(value: str) -> str:
    if not _AWS_ACCOUNT.fullmatch(value):
        raise ValueError("must be a 12-digit AWS account id (quote it in YAML)")
    return value


@_text
def check_aws_region(value: str) -> str:
    if not _AWS_REGION.fullmatch(value):
        raise ValueError("must be an AWS region name such as eu-west-1")
    return value


@_text
def check_bucket_name(value: str) -> str:
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


@_text
def check_prefix(value: str) -> str:
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


@_text
def check_audience(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if any(c in value for c in "*?") or "${" in value:
        raise ValueError("must be an exact string: wildcards (*, ?) and ${...} are not allowed")
    if any(c.isspace() or ord(c) < 32 for c in value) or len(value) > 255:
        raise ValueError("must be at most 255 characters, without whitespace or control characters")
    return value


def check_session_duration(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("must be a whole number of seconds")
    if not MIN_SESSION_SECONDS <= value <= MAX_SESSION_SECONDS:
        raise ValueError(f"must be between {MIN_SESSION_SECONDS} and {MAX_SESSION_SECONDS} seconds (1-12 h)")
    return value


@_text
def check_kms_key_arn(value: str) -> str:
    if not _KMS_KEY_ARN.fullmatch(value):
        raise ValueError("must be a full KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias")
    return value


@_text
def check_oidc_provider_arn(value: str) -> str:
    if not _OIDC_PROVIDER_ARN.fullmatch(value):
        raise ValueError("must be arn:aws:iam::<account>:oidc-provider/accounts.google.com")
    return value


@_text
def check_principal_arn(value: str) -> str:
    if not _PRINCIPAL_ARN.fullmatch(value):
        raise ValueError("must be an exact IAM role or user ARN (no wildcards)")
    return value


@_text
def check_permissions_boundary_arn(value: str) -> str:
    if not _PERMISSIONS_BOUNDARY_ARN.fullmatch(value):
        raise ValueError("must be an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name>)")
    return value


def check_choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return check


@_text
def check_gcp_region(value: str) -> str:
    if not _GCP_REGION.fullmatch(value):
        raise ValueError("must be a GCP region name such as europe-west1 (not a zone)")
    return value


@_text
def check_service_account_unique_id(value: str) -> str:
    if not _SA_UNIQUE_ID.fullmatch(value):
        raise ValueError("must be the service account's numeric unique id (digits only), not its email")
    return value


@_text
def check_principal(value: str) -> str:
    """The Federated principal of a Google trust: the built-in provider or the IAM OIDC provider ARN."""
    if value != "accounts.google.com" and not _OIDC_PROVIDER_ARN.fullmatch(value):
        raise ValueError(
            "must be accounts.google.com or arn:<partition>:iam::<account>:oidc-provider/accounts.google.com"
        )
    return value


@_text
def check_image(value: str) -> str:
    if not value.strip() or any(c.isspace() for c in value):
        raise ValueError("must be a container image reference, non-empty and without whitespace")
    return value


@_text
def check_role_path(value: str) -> str:
    if not re.fullmatch(r"/([\w+=,.@-]+/)*", value) or len(value) > 512:
        raise ValueError("must be an IAM path: starts and ends with '/', e.g. /gcp-federation/dev/")
    return value


@_text
def check_role_name(value: str) -> str:
    if not re.fullmatch(r"[\w+=,.@-]{1,64}", value):
        raise ValueError("must be an IAM role name: 1-64 chars of [A-Za-z0-9+=,.@_-]")
    return value


def check_revocation_instant(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a timezone, e.g. 2026-11-23T10:00:00Z")
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range: give a real instant such as 2026-11-23T10:00:00Z") from None
    if instant > datetime.now(UTC) + timedelta(minutes=5):
        raise ValueError("must not be in the future: it would also refuse the sessions you issue next")
    return instant


@_text
def check_revocation_text(value: str) -> str:
    """The component form of the revocation instant: ISO 8601 with a timezone."""
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 instant with a timezone, e.g. 2026-11-23T10:00:00Z") from None
    check_revocation_instant(instant)
    return value


@_text
def check_session_name(value: str) -> str:
    if not re.fullmatch(r"[\w+=,.@-]{2,64}", value):
        raise ValueError("must be an STS role session name: 2-64 chars of [A-Za-z0-9+=,.@_-]")
    return value


def key_placement_problem(key_arn: str, region: str, account_id: str | None = None) -> str | None:
    """Why a KMS key cannot encrypt a bucket in `region` (and `account_id`), or None: S3 uses only keys
    in the bucket's region (S3 User Guide, "Specifying server-side encryption with AWS KMS"), and a key
    in another account needs a key policy this stack does not write."""
    partition, _, key_region, key_account = key_arn.split(":")[1:5]
    if partition != partition_for_region(region) or key_region != region:
        return f"is in {partition}/{key_region}, but the buckets are in {partition_for_region(region)}/{region}"
    if account_id is not None and key_account != account_id:
        return f"belongs to account {key_account}, but the stack's account is {account_id}"
    return None


def kms_key_rule(region: Any, account_id: Any = None) -> Callable[[Any], str]:
    """check_kms_key_arn plus the key's placement, when the region (and account) are known strings."""

    def check(value: Any) -> str:
        check_kms_key_arn(value)
        if isinstance(region, str) and (account_id is None or isinstance(account_id, str)):
            problem = key_placement_problem(value, region, account_id)
            if problem:
                raise ValueError(problem)
        return value

    return check


check_access = check_choice(get_args(Access))
check_workload_kind = check_choice(get_args(WorkloadKind))
check_ingress = check_choice(get_args(Ingress))
check_key_creation_constraint = check_choice(get_args(KeyCreationConstraint))


Environment = Annotated[str, AfterValidator(check_environment)]
WorkloadName = Annotated[str, AfterValidator(check_workload_name)]
ServiceAccountId = Annotated[str, AfterValidator(check_service_account_id)]
AccessLevel = Annotated[Access, BeforeValidator(check_access)]
Kind = Annotated[WorkloadKind, BeforeValidator(check_workload_kind)]
IngressSetting = Annotated[Ingress, BeforeValidator(check_ingress)]
GcpRegion = Annotated[str, AfterValidator(check_gcp_region)]
Image = Annotated[str, AfterValidator(check_image)]
RevocationInstant = Annotated[datetime, AfterValidator(check_revocation_instant)]
GcpProject = Annotated[str, AfterValidator(check_gcp_project)]
AwsAccount = Annotated[str, AfterValidator(check_aws_account)]
AwsRegion = Annotated[str, AfterValidator(check_aws_region)]
BucketName = Annotated[str, AfterValidator(check_bucket_name)]
Prefix = Annotated[str, AfterValidator(check_prefix)]
Audience = Annotated[str, AfterValidator(check_audience)]
SessionSeconds = Annotated[int, AfterValidator(check_session_duration)]
KmsKeyArn = Annotated[str, AfterValidator(check_kms_key_arn)]
OidcProviderArn = Annotated[str, AfterValidator(check_oidc_provider_arn)]
PrincipalArn = Annotated[str, AfterValidator(check_principal_arn)]
PermissionsBoundaryArn = Annotated[str, AfterValidator(check_permissions_boundary_arn)]
IamMember = Annotated[str, AfterValidator(check_iam_member)]
