"""Short-lived AWS credentials for Google Cloud workloads, with no static secret.

`federated_session(role_arn, audience)` returns a boto3 Session whose credentials are exchanged from
the metadata server's ID token and refresh themselves in memory.
"""

from .claims import decode_claims, describe, session_name_from_email
from .diagnose import FederationError
from .metadata import MetadataError, MetadataTokenSource
from .session import WebIdentityExchange, federated_session, session_from_environment

__all__ = [
    "FederationError",
    "MetadataError",
    "MetadataTokenSource",
    "WebIdentityExchange",
    "decode_claims",
    "describe",
    "federated_session",
    "session_from_environment",
    "session_name_from_email",
]
