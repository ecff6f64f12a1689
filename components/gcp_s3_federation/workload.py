"""One workload spec wired to its service account, its role and its prefix grants."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from .federated_role import FederatedRole
from .naming import aws_tags, role_name, session_name
from .prefix_access import GrantArgs, PrefixAccessPolicy
from .service_account import WorkloadServiceAccount


class FederatedWorkload(pulumi.ComponentResource):
    """Service account (GCP) + federated role and prefix policy (AWS) for one workload.

    Pass explicit providers with `opts=pulumi.ResourceOptions(providers={"aws": ..., "gcp": ...})`;
    every child inherits them.
    """

    role_arn: pulumi.Output[str]
    service_account_email: pulumi.Output[str]
    service_account_unique_id: pulumi.Output[str]
    session_name: pulumi.Output[str]
    environment_variables: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        kind: str,
        service_account_id: str,
        gcp_project: str,
        environment: str,
        aws_region: str,
        principal: pulumi.Input[str],
        audience: str,
        grants: Sequence[GrantArgs],
        role_path: str,
        max_session_duration: int = 3600,
        default_session_duration: int = 3600,
        permissions_boundary_arn: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gcp-s3-federation:index:FederatedWorkload", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        session = session_name(service_account_id, gcp_project)
        account = WorkloadServiceAccount(
            name, account_id=service_account_id, project=gcp_project, environment=environment, kind=kind, opts=child
        )
        role = FederatedRole(
            name,
            role_name=role_name(environment, name),
            path=role_path,
            principal=principal,
            service_account_unique_id=account.unique_id,
            audience=audience,
            session_name=session,
            max_session_duration=max_session_duration,
            permissions_boundary_arn=permissions_boundary_arn,
            tags=aws_tags(environment, name),
            opts=child,
        )
        PrefixAccessPolicy(name, role_name=role.role_name, grants=grants, region=aws_region, opts=child)
        self.role_arn = role.arn
        self.service_account_email = account.email
        self.service_account_unique_id = account.unique_id
        self.session_name = pulumi.Output.from_input(session)
        self.environment_variables = role.arn.apply(
            lambda arn: {
                "AWS_ROLE_ARN": arn,
                "AWS_ROLE_SESSION_NAME": session,
                "AWS_REGION": aws_region,
                "GCP_AWS_AUDIENCE": audience,
                "GCP_AWS_DURATION_SECONDS": str(default_session_duration),
            }
        )
        self.register_outputs(
            {
                "role_arn": self.role_arn,
                "service_account_email": self.service_account_email,
                "service_account_unique_id": self.service_account_unique_id,
                "session_name": self.session_name,
                "environment_variables": self.environment_variables,
            }
        )
