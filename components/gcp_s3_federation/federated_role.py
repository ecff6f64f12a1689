"""One AWS role per Google service account, trusting exactly that account and audience."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from .documents import google_trust_policy, render


class FederatedRole(pulumi.ComponentResource):
    """An IAM role assumable only with `sts:AssumeRoleWithWebIdentity` by one Google service account.

    The trust pins `accounts.google.com:aud` and `:sub` to the SA's numeric unique id (AWS maps
    `:aud` to the token's `azp`), `:oaud` to the requested audience, and the role session name.
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
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gcp-s3-federation:aws:FederatedRole", name, None, opts)
        self.trust_policy = pulumi.Output.all(principal, service_account_unique_id).apply(
            lambda values: render(google_trust_policy(values[0], values[1], audience, session_name))
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
        self.arn = role.arn
        self.role_name = role.name
        self.register_outputs({"arn": self.arn, "role_name": self.role_name, "trust_policy": self.trust_policy})
