"""Reusable Pulumi components that federate Google Cloud workloads to Amazon S3 prefixes."""

from .args import (
    AuditTrailArgs,
    CloudRunOptions,
    CloudRunServiceArgs,
    DataprocClusterArgs,
    DataprocOptions,
    FederatedRoleArgs,
    FederatedWorkloadArgs,
    GcpTrustGuardArgs,
    GoogleOidcProviderArgs,
    GrantArgs,
    PrefixAccessPolicyArgs,
    SecureBucketArgs,
    TokenCreatorArgs,
    WorkloadServiceAccountArgs,
)
from .audit import AuditTrail
from .cloud_run import CloudRunService
from .config import ConfigError, load_config
from .dataproc import DataprocCluster
from .federated_role import FederatedRole
from .gcp_project import GcpTrustGuard
from .models import FederationConfig
from .oidc_provider import GoogleOidcProvider
from .prefix_access import PrefixAccessPolicy
from .secure_bucket import SecureBucket
from .service_account import WorkloadServiceAccount
from .stack import build_stack
from .validation import ArgumentError
from .workload import FederatedWorkload

__version__ = "0.2.0"

COMPONENTS = (
    AuditTrail,
    CloudRunService,
    DataprocCluster,
    FederatedRole,
    FederatedWorkload,
    GcpTrustGuard,
    GoogleOidcProvider,
    PrefixAccessPolicy,
    SecureBucket,
    WorkloadServiceAccount,
)
"""The components served to other languages by the component provider."""

__all__ = [
    "COMPONENTS",
    "ArgumentError",
    "AuditTrail",
    "AuditTrailArgs",
    "CloudRunOptions",
    "CloudRunService",
    "CloudRunServiceArgs",
    "ConfigError",
    "DataprocCluster",
    "DataprocClusterArgs",
    "DataprocOptions",
    "FederatedRole",
    "FederatedRoleArgs",
    "FederatedWorkload",
    "FederatedWorkloadArgs",
    "FederationConfig",
    "GcpTrustGuard",
    "GcpTrustGuardArgs",
    "GoogleOidcProvider",
    "GoogleOidcProviderArgs",
    "GrantArgs",
    "PrefixAccessPolicy",
    "PrefixAccessPolicyArgs",
    "SecureBucket",
    "SecureBucketArgs",
    "TokenCreatorArgs",
    "WorkloadServiceAccount",
    "WorkloadServiceAccountArgs",
    "build_stack",
    "load_config",
]
