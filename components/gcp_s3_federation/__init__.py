"""Reusable Pulumi components that federate Google Cloud workloads to Amazon S3 prefixes."""

from .audit import AuditTrail
from .cloud_run import CloudRunService
from .config import ConfigError, FederationConfig, load_config
from .dataproc import DataprocCluster
from .federated_role import FederatedRole
from .oidc_provider import GoogleOidcProvider
from .prefix_access import GrantArgs, PrefixAccessPolicy
from .secure_bucket import SecureBucket
from .service_account import WorkloadServiceAccount
from .stack import build_stack
from .workload import FederatedWorkload

__version__ = "0.1.0"

__all__ = [
    "AuditTrail",
    "CloudRunService",
    "ConfigError",
    "DataprocCluster",
    "FederatedRole",
    "FederatedWorkload",
    "FederationConfig",
    "GoogleOidcProvider",
    "GrantArgs",
    "PrefixAccessPolicy",
    "SecureBucket",
    "WorkloadServiceAccount",
    "build_stack",
    "load_config",
]
