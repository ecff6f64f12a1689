"""One AWS role per Google service account, trusting exactly that account and audience."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from .documents import google_trust_policy, render, revoke_sessions_policy, suspended_trust_policy

REVOCATION_POLICY_NAME = "revoke-older-sessions"


class FederatedRole(pulumi.ComponentResource):
    """An IAM role assumable only with `sts:AssumeRoleWithWebIdentity` by one Google service account.

    The trust pins `accounts.google.com:aud` and `:sub` to the SA's numeric unique id (AWS maps
    `:aud` to the token's `azp`), `:oaud` to the requested audience, and the role session name.

    Emergency switches: `sessions_issued_before` (ISO 8601 UTC) attaches IAM's revoke-older-sessions
    deny, so credentials already handed out stop working; `trust_suspended` replaces the trust with a
    deny, so no new session starts. Neither touches the role's data grants.
    """

    arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    trust_policy: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        role_name: str,
        path: str,
        principal: pulumi.Input[str],
        service_account_unique_id: pulumi.Input[str],
        audience: str,
        session_name: str,
        max_session_duration: int = 3600,
        permissions_boundary_arn: str | None = None,
        tags: Mapping[str, str] | None = None,
        sessions_issued_before: str | None = None,
        trust_suspended: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gcp-s3-federation:aws:FederatedRole", name, None, opts)
        self.trust_policy = pulumi.Output.all(principal, service_account_unique_id).apply(
            lambda values: render(
                suspended_trust_policy(values[0])
                if trust_suspended
                else google_trust_policy(values[0], values[1], audience, session_name)
            )
        )
        role = aws.iam.Role(
            name,
            name=role_name,
            path=path,
            description=f"Federated from Google service account session {session_name}",
            assume_role_policy=self.trust_policy,
            max_session_duration=max_session_duration,
            permissions_boundary=permissions_boundary_arn,
            tags=dict(tags or {}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if sessions_issued_before is not None:
            aws.iam.RolePolicy(
                f"{name}-revocation",
                name=REVOCATION_POLICY_NAME,
                role=role.name,
                policy=render(revoke_sessions_policy(sessions_issued_before)),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.arn = role.arn
        self.role_name = role.name
        self.register_outputs({"arn": self.arn, "role_name": self.role_name, "trust_policy": self.trust_policy})
