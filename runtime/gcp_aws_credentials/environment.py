"""The workload environment contract: the variables the stack renders and the runtime reads, defined once.

Standard library only, and the package's `__init__` loads nothing eagerly, so the Pulumi components
import this module without importing boto3 or botocore. `AWS_ROLE_ARN`, `AWS_ROLE_SESSION_NAME`,
`AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_REGION` are the names every AWS SDK reads for web identity
(AWS SDKs and Tools Reference Guide, "Assume role credential provider" / "AWS Region");
`GCP_AWS_AUDIENCE` and `GCP_AWS_DURATION_SECONDS` are this project's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import WorkloadEnvironmentError

ROLE_ARN = "AWS_ROLE_ARN"
AUDIENCE = "GCP_AWS_AUDIENCE"
SESSION_NAME = "AWS_ROLE_SESSION_NAME"
DURATION_SECONDS = "GCP_AWS_DURATION_SECONDS"
TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE"
REGION = "AWS_REGION"
REGION_FALLBACK = "AWS_DEFAULT_REGION"  # the older name SDKs also read
DEFAULT_DURATION_SECONDS = 3600
MIN_DURATION_SECONDS, MAX_DURATION_SECONDS = 900, 43200  # STS DurationSeconds bounds


@dataclass(frozen=True)
class WorkloadEnvironment:
    """What a workload needs to federate. `audience` is for the in-process exchange and
    credential_process; `token_file` for SDKs that read the token from a file (Hadoop S3A)."""

    role_arn: str
    session_name: str | None = None
    region: str | None = None
    audience: str | None = None
    duration_seconds: int | None = None
    token_file: str | None = None

    def variables(self) -> dict[str, str]:
        """The env to render into Cloud Run, Dataproc properties or a shell: set fields only."""
        values = {
            ROLE_ARN: self.role_arn,
            SESSION_NAME: self.session_name,
            REGION: self.region,
            AUDIENCE: self.audience,
            DURATION_SECONDS: None if self.duration_seconds is None else str(self.duration_seconds),
            TOKEN_FILE: self.token_file,
        }
        return {name: value for name, value in values.items() if value is not None}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], require_audience: bool = True) -> WorkloadEnvironment:
        """Read and check the env the stack rendered; names the variable and the fix when it is wrong."""

        def get(name: str) -> str | None:
            return environ.get(name) or None

        required = [ROLE_ARN, AUDIENCE] if require_audience else [ROLE_ARN]
        missing = [name for name in required if get(name) is None]
        if missing:
            raise WorkloadEnvironmentError(
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set",
                code="environment-missing",
                cause=f"the workload was deployed without the stack's environment ({', '.join(missing)})",
                fix="set the env from the stack output workloads.<name>.environment_variables",
            )
        role_arn = str(get(ROLE_ARN))
        if not role_arn.startswith("arn:") or ":role/" not in role_arn:
            raise WorkloadEnvironmentError(
                f"{ROLE_ARN} must be an IAM role ARN, got {role_arn!r}",
                cause=f"{ROLE_ARN} holds something other than the role ARN",
                fix="copy role_arn from the stack output workloads.<name>",
            )
        duration = get(DURATION_SECONDS)
        if duration is not None and not (
            duration.isdigit() and MIN_DURATION_SECONDS <= int(duration) <= MAX_DURATION_SECONDS
        ):
            raise WorkloadEnvironmentError(
                f"{DURATION_SECONDS} must be whole seconds in {MIN_DURATION_SECONDS}..{MAX_DURATION_SECONDS}, "
                f"got {duration!r}",
                cause="STS accepts DurationSeconds from 900 s up to the role's MaxSessionDuration",
                fix=f"unset {DURATION_SECONDS} (1 h) or use the stack's sessions.default_duration_seconds",
            )
        return cls(
            role_arn=role_arn,
            session_name=get(SESSION_NAME),
            region=get(REGION) or get(REGION_FALLBACK),
            audience=get(AUDIENCE),
            duration_seconds=int(duration) if duration is not None else None,
            token_file=get(TOKEN_FILE),
        )
