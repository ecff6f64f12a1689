"""Short-lived AWS credentials for Google Cloud workloads, with no static secret.

`federated_session(role_arn, audience)` returns a boto3 Session whose credentials are exchanged from
the metadata server's ID token and refresh themselves in memory.

Names are loaded on first use (PEP 562), so importing a dependency-free module such as
`gcp_aws_credentials.environment` (as the Pulumi components do) never imports boto3.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "FederationError": "errors",
    "GcpAwsError": "errors",
    "MetadataError": "errors",
    "WorkloadEnvironmentError": "errors",
    "WorkloadEnvironment": "environment",
    "MetadataTokenSource": "metadata",
    "WebIdentityExchange": "session",
    "federated_session": "session",
    "session_from_environment": "session",
    "decode_claims": "claims",
    "describe": "claims",
    "session_name_from_email": "claims",
}
__all__ = [
    "FederationError",
    "GcpAwsError",
    "MetadataError",
    "MetadataTokenSource",
    "WebIdentityExchange",
    "WorkloadEnvironment",
    "WorkloadEnvironmentError",
    "decode_claims",
    "describe",
    "federated_session",
    "session_from_environment",
    "session_name_from_email",
]

if TYPE_CHECKING:
    from .claims import decode_claims, describe, session_name_from_email
    from .environment import WorkloadEnvironment
    from .errors import FederationError, GcpAwsError, MetadataError, WorkloadEnvironmentError
    from .metadata import MetadataTokenSource
    from .session import WebIdentityExchange, federated_session, session_from_environment


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
