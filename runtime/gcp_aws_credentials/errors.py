"""The runtime's errors: each carries a stable `code` and the `fix`, so tools never parse messages.

No third-party imports (the Pulumi components import `environment`, which raises these).
"""

from __future__ import annotations


class GcpAwsError(RuntimeError):
    """A failure in the chain metadata server -> ID token -> STS, with a stable code and the next step."""

    code = "gcp-aws-error"

    def __init__(self, message: str, *, code: str | None = None, cause: str = "", fix: str = "") -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.cause = cause
        self.fix = fix


class WorkloadEnvironmentError(GcpAwsError, ValueError):
    """The workload's environment lacks a variable the stack renders, or holds an invalid value."""

    code = "environment-invalid"


class MetadataError(GcpAwsError):
    """The metadata server could not issue a token; the message says what to check."""

    code = "metadata-error"


class FederationError(GcpAwsError):
    """STS refused the exchange; the message names the likely cause and never contains the token."""

    code = "sts-refused"
