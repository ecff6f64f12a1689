"""Field rules: the single home of what a valid bucket name, prefix, access level, service-account id,
audience, session duration, KMS key ARN, region and partition are.

Each rule is a plain function that returns the value or raises `ValueError` with the rule in words.
The stack-config models (`models.py`) use them through the `Annotated` types below; the component
constructors use them through `validate_args`, so both doors reject the same values with the same words.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator

MIN_SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 43200
DEFAULT_SESSION_SECONDS = MIN_SESSION_SECONDS
MAX_OIDC_CLIENT_IDS = 100

Access = Literal["read", "write", "read-write"]
WorkloadKind = Literal["cloud-run", "dataproc", "service-account-only"]
Partition = Literal["aws", "aws-us-gov", "aws-cn"]
TokenCreatorRole = Literal["roles/iam.serviceAccountOpenIdTokenCreator", "roles/iam.serviceAccountTokenCreator"]
KeyCreationConstraint = Literal["iam.managed.disableServiceAccountKeyCreation", "iam.disableServiceAccountKeyCreation"]

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


def check_environment(value: str) -> str:
    if not _ENVIRONMENT.fullmatch(value):
        raise ValueError("must be 2-16 chars of [a-z0-9-], starting with a letter")
    return value


def check_workload_name(value: str) -> str:
    if not _WORKLOAD_NAME.fullmatch(value):
        raise ValueError("must be 2-40 chars of [a-z0-9-], starting with a letter and not ending with '-'")
    return value


SERVICE_ACCOUNT_ID_RULE = "must match [a-z][-a-z0-9]{4,28}[a-z0-9] (GCP service account id rules)"


def check_service_account_id(value: str) -> str:
    if not _GCP_ACCOUNT_ID.fullmatch(value):
        raise ValueError(SERVICE_ACCOUNT_ID_RULE)
    return value


def check_gcp_project(value: str) -> str:
    if not _GCP_PROJECT.fullmatch(value):
        raise ValueError("must be a GCP project id: 6-30 chars, [a-z][-a-z0-9]*[a-z0-9]")
    return value


def check_aws_account(value: str) -> str:
    if not _AWS_ACCOUNT.fullmatch(value):
        raise ValueError("must be a 12-digit AWS account id (quote it in YAML)")
    return value


def check_aws_region(value: str) -> str:
    if not _AWS_REGION.fullmatch(value):
        raise ValueError("must be an AWS region name such as eu-west-1")
    return value


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


def check_audience(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if any(c in value for c in "*?") or "${" in value:
        raise ValueError("must be an exact string: wildcards (*, ?) and ${...} are not allowed")
    if any(c.isspace() or ord(c) < 32 for c in value) or len(value) > 255:
        raise ValueError("must be at most 255 characters, without whitespace or control characters")
    return value


def check_session_duration(value: int) -> int:
    if not MIN_SESSION_SECONDS <= value <= MAX_SESSION_SECONDS:
        raise ValueError(f"must be between {MIN_SESSION_SECONDS} and {MAX_SESSION_SECONDS} seconds (1-12 h)")
    return value


def check_kms_key_arn(value: str) -> str:
    if not _KMS_KEY_ARN.fullmatch(value):
        raise ValueError("must be a full KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias")
    return value


def check_oidc_provider_arn(value: str) -> str:
    if not _OIDC_PROVIDER_ARN.fullmatch(value):
        raise ValueError("must be arn:aws:iam::<account>:oidc-provider/accounts.google.com")
    return value


def check_principal_arn(value: str) -> str:
    if not _PRINCIPAL_ARN.fullmatch(value):
        raise ValueError("must be an exact IAM role or user ARN (no wildcards)")
    return value


def check_permissions_boundary_arn(value: str) -> str:
    if not _PERMISSIONS_BOUNDARY_ARN.fullmatch(value):
        raise ValueError("must be an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name>)")
    return value


def check_choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return check


check_access = check_choice(get_args(Access))
check_workload_kind = check_choice(get_args(WorkloadKind))


Environment = Annotated[str, AfterValidator(check_environment)]
WorkloadName = Annotated[str, AfterValidator(check_workload_name)]
ServiceAccountId = Annotated[str, AfterValidator(check_service_account_id)]
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
