"""One AWS role per Google service account, trusting exactly that account and audience."""

import pulumi
import pulumi_aws as aws

from .args import FederatedRoleArgs
from .documents import google_trust_policy, render, revoke_sessions_policy, suspended_trust_policy
from .fields import (
    DEFAULT_SESSION_SECONDS,
    check_audience,
    check_permissions_boundary_arn,
    check_principal,
    check_revocation_text,
    check_role_name,
    check_role_path,
    check_service_account_unique_id,
    check_session_duration,
    check_session_name,
)
from .placement import ChildOptions, children_of
from .validation import validate_args

REVOCATION_POLICY_NAME = "revoke-older-sessions"
ARGUMENT_RULES = {
    "role_name": check_role_name,
    "path": check_role_path,
    "principal": check_principal,
    "service_account_unique_id": check_service_account_unique_id,
    "audience": check_audience,
    "session_name": check_session_name,
    "max_session_duration": check_session_duration,
    "permissions_boundary_arn": check_permissions_boundary_arn,
    "sessions_issued_before": check_revocation_text,
}


class FederatedRole(pulumi.ComponentResource):
    """An IAM role assumable only with `sts:AssumeRoleWithWebIdentity` by one Google service account.

    The trust pins `accounts.google.com:aud` and `:sub` to the SA's numeric unique id (AWS maps
    `:aud` to the token's `azp`), `:oaud` to the requested audience, and the role session name.

    Emergency switches: `sessions_issued_before` (ISO 8601 UTC) attaches IAM's revoke-older-sessions
    deny, so credentials already handed out stop working; `trust_suspended` replaces the trust with a
    deny, so no new session starts. Neither touches the role's data grants.
    """

    arn: pulumi.Output[str]
    """The role ARN (AWS_ROLE_ARN of the workload)."""
    role_name: pulumi.Output[str]
    """The role name."""
    trust_policy: pulumi.Output[str]
    """The rendered trust policy JSON."""

    def __init__(self, name: str, args: FederatedRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = validate_args("FederatedRole", args, ARGUMENT_RULES)
        super().__init__("gcp-s3-federation:index:FederatedRole", name, None, opts)
        role, self.trust_policy = declare_federated_role(name, args, children_of(self))
        self.arn = role.arn
        self.role_name = role.name
        self.register_outputs({"arn": self.arn, "role_name": self.role_name, "trust_policy": self.trust_policy})


def declare_federated_role(
    name: str, args: FederatedRoleArgs, child: ChildOptions
) -> tuple[aws.iam.Role, pulumi.Output[str]]:
    """The role and, when asked, its revoke-older-sessions policy, placed by `child` (arguments already
    validated); returns the role and its rendered trust policy. `FederatedWorkload` declares these
    directly, without the component layer."""
    audience, session_name = args["audience"], args["session_name"]
    suspended = args.get("trust_suspended", False)
    trust_policy = pulumi.Output.all(args["principal"], args["service_account_unique_id"]).apply(
        lambda values: render(
            suspended_trust_policy(values[0])
            if suspended
            else google_trust_policy(values[0], values[1], audience, session_name)
        )
    )
    role = aws.iam.Role(
        name,
        name=args["role_name"],
        path=args["path"],
        description=f"Federated from Google service account session {session_name}",
        assume_role_policy=trust_policy,
        max_session_duration=args.get("max_session_duration", DEFAULT_SESSION_SECONDS),
        permissions_boundary=args.get("permissions_boundary_arn"),
        tags=args.get("tags", {}),
        opts=child(aws.iam.Role, name),
    )
    issued_before = args.get("sessions_issued_before")
    if issued_before is not None:
        aws.iam.RolePolicy(
            f"{name}-revocation",
            name=REVOCATION_POLICY_NAME,
            role=role.name,
            policy=render(revoke_sessions_policy(issued_before)),
            opts=child(aws.iam.RolePolicy, f"{name}-revocation"),
        )
    return role, trust_policy
