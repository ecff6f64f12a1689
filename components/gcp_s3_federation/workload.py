"""One workload spec wired to its service account, its role and its prefix grants."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from .cloud_run import CloudRunService, bring_your_own_command
from .config import CloudRunConfig, DataprocConfig
from .dataproc import DataprocCluster
from .federated_role import FederatedRole
from .naming import aws_tags, gcp_labels, role_name, session_name
from .prefix_access import GrantArgs, PrefixAccessPolicy
from .service_account import WorkloadServiceAccount


class FederatedWorkload(pulumi.ComponentResource):
    """Service account (GCP) + federated role and prefix policy (AWS) for one workload, plus its
    compute when asked: a Cloud Run service (`cloud_run`) or a Dataproc cluster (`dataproc`).

    Pass explicit providers with `opts=pulumi.ResourceOptions(providers={"aws": ..., "gcp": ...})`;
    every child inherits them.
    """

    role_arn: pulumi.Output[str]
    compute: pulumi.Output[dict[str, str]]
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
        gcp_region: str | None = None,
        sessions_issued_before: str | None = None,
        trust_suspended: bool = False,
        cloud_run: CloudRunConfig | None = None,
        dataproc: DataprocConfig | None = None,
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
            sessions_issued_before=sessions_issued_before,
            trust_suspended=trust_suspended,
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
        self.compute = self._compute(
            name,
            kind,
            gcp_project,
            gcp_region or "",
            aws_region,
            environment,
            audience,
            session,
            grants,
            cloud_run,
            dataproc,
        )
        self.register_outputs(
            {
                "compute": self.compute,
                "role_arn": self.role_arn,
                "service_account_email": self.service_account_email,
                "service_account_unique_id": self.service_account_unique_id,
                "session_name": self.session_name,
                "environment_variables": self.environment_variables,
            }
        )

    def _compute(
        self,
        name: str,
        kind: str,
        project: str,
        region: str,
        aws_region: str,
        environment: str,
        audience: str,
        session: str,
        grants: Sequence[GrantArgs],
        cloud_run: CloudRunConfig | None,
        dataproc: DataprocConfig | None,
    ) -> pulumi.Output[dict[str, str]]:
        """Declare the workload's compute; return how to reach or wire it."""
        child = pulumi.ResourceOptions(parent=self)
        labels = gcp_labels(environment, name)
        if cloud_run is not None:
            service = CloudRunService(
                name,
                image=cloud_run.image,
                service_account_email=self.service_account_email,
                environment=self.environment_variables,
                project=project,
                region=region,
                ingress=cloud_run.ingress,
                min_instances=cloud_run.min_instances,
                max_instances=cloud_run.max_instances,
                deletion_protection=cloud_run.deletion_protection,
                labels=labels,
                opts=child,
            )
            return service.uri.apply(lambda uri: {"cloud_run_uri": uri})
        if dataproc is not None:
            cluster = DataprocCluster(
                name,
                service_account_email=self.service_account_email,
                role_arn=self.role_arn,
                session_name=session,
                audience=audience,
                project=project,
                region=region,
                aws_region=aws_region,
                bucket_keys={g.bucket: g.kms_key_arn for g in grants},
                image_version=dataproc.image_version,
                subnetwork=dataproc.subnetwork,
                num_workers=dataproc.num_workers,
                master_machine_type=dataproc.master_machine_type,
                worker_machine_type=dataproc.worker_machine_type,
                runtime_package=dataproc.runtime_package,
                hadoop_aws_package=dataproc.hadoop_aws_package,
                labels=labels,
                opts=child,
            )
            return pulumi.Output.all(cluster.cluster_name, cluster.staging_bucket).apply(
                lambda values: {"dataproc_cluster": values[0], "staging_bucket": values[1]}
            )
        if kind == "cloud-run":
            return pulumi.Output.all(self.service_account_email, self.environment_variables).apply(
                lambda values: {"bring_your_own": bring_your_own_command(name, region, values[0], values[1])}
            )
        return pulumi.Output.from_input({})
