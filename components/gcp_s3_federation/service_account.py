"""The dedicated GCP service account a workload runs as."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from .naming import MANAGED_BY

# Project roles each workload kind needs to run at all; nothing else is granted.
PROJECT_ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "cloud-run": (),
    "dataproc": ("roles/dataproc.worker",),
    "service-account-only": (),
}


class WorkloadServiceAccount(pulumi.ComponentResource):
    """A keyless service account whose numeric unique id feeds the AWS trust."""

    email: pulumi.Output[str]
    unique_id: pulumi.Output[str]
    member: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        account_id: str,
        project: str,
        environment: str,
        kind: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gcp-s3-federation:gcp:WorkloadServiceAccount", name, None, opts)
        account = gcp.serviceaccount.Account(
            name,
            account_id=account_id,
            project=project,
            display_name=f"{name} (S3 federation, {environment})",
            # Service accounts take no labels; the description carries them instead.
            description=f"environment={environment} workload={name} managed-by={MANAGED_BY}",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.email = account.email
        self.unique_id = account.unique_id
        self.member = account.email.apply(lambda email: f"serviceAccount:{email}")
        for role in PROJECT_ROLES_BY_KIND[kind]:
            gcp.projects.IAMMember(
                f"{name}-{role.removeprefix('roles/').replace('.', '-')}",
                project=project,
                role=role,
                member=self.member,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"email": self.email, "unique_id": self.unique_id, "member": self.member})
