"""Project-level guards of the GCP side of the trust: token-minting audit logs and no SA keys."""

import pulumi
import pulumi_gcp as gcp

from .args import GcpTrustGuardArgs
from .fields import check_gcp_project, check_key_creation_constraint
from .validation import validate_args

TOKEN_MINTING_SERVICE = "iam.googleapis.com"
"""GenerateIdToken is logged by iamcredentials.googleapis.com, whose Data Access logs can only be turned
on through iam.googleapis.com or allServices (Google Cloud docs: Service Account Credentials audit logging)."""
TOKEN_MINTING_LOG_TYPES = ("ADMIN_READ", "DATA_READ")
"""Google's page lists GenerateIdToken as ADMIN_READ; a partner edition of the same page lists DATA_READ,
so both are on: a wrong guess must not lose the record."""


class GcpTrustGuard(pulumi.ComponentResource):
    """Data Access audit logs that record who minted a workload's tokens (on by default), and
    optionally an organization policy on the project that forbids service-account keys."""

    audited_service: pulumi.Output[str]
    """The service whose Data Access logs are on ('' when turned off)."""
    key_creation_policies: pulumi.Output[list[str]]
    """The names of the organization policies that forbid service-account keys."""

    def __init__(self, name: str, args: GcpTrustGuardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        rules = {"project": check_gcp_project, "key_creation_constraints[]": check_key_creation_constraint}
        args = validate_args("GcpTrustGuard", args, rules)
        super().__init__("gcp-s3-federation:index:GcpTrustGuard", name, None, opts)
        project = args["project"]
        child = pulumi.ResourceOptions(parent=self)
        audited = ""
        if args.get("audit_token_minting", True):
            gcp.projects.IAMAuditConfig(
                f"{name}-token-minting-audit",
                project=project,
                service=TOKEN_MINTING_SERVICE,
                audit_log_configs=[{"log_type": log_type} for log_type in TOKEN_MINTING_LOG_TYPES],
                opts=child,
            )
            audited = TOKEN_MINTING_SERVICE
        policy_names = []
        for constraint in args.get("key_creation_constraints", []):
            policy_names.append(f"projects/{project}/policies/{constraint}")
            gcp.orgpolicy.Policy(
                f"{name}-{constraint.replace('.', '-')}",
                name=policy_names[-1],
                parent=f"projects/{project}",
                spec={"rules": [{"enforce": "TRUE"}]},
                opts=child,
            )
        self.audited_service = pulumi.Output.from_input(audited)
        self.key_creation_policies = pulumi.Output.from_input(policy_names)
        self.register_outputs(
            {"audited_service": self.audited_service, "key_creation_policies": self.key_creation_policies}
        )
