"""A Cloud Run v2 service that runs as the workload's service account and federates to AWS."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_gcp as gcp


def bring_your_own_command(service: str, region: str, email: str, environment: Mapping[str, str]) -> str:
    """The gcloud command that wires an existing service to the federation (no secret in it)."""
    env = ",".join(f"{k}={v}" for k, v in sorted(environment.items()))
    return f"gcloud run services update {service} --region {region} --service-account {email} --update-env-vars {env}"


class CloudRunService(pulumi.ComponentResource):
    """The service's env holds only the role ARN, region, audience and grants; never an AWS secret.

    Inside the container, `gcp_aws_credentials.session_from_environment()` returns a boto3 Session.
    Defaults: internal-only ingress, scale to zero, at most 10 instances, deletion protection on.
    """

    uri: pulumi.Output[str]
    service_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        image: str,
        service_account_email: pulumi.Input[str],
        environment: pulumi.Input[Mapping[str, pulumi.Input[str]]],
        project: str,
        region: str,
        ingress: str = "INGRESS_TRAFFIC_INTERNAL_ONLY",
        min_instances: int = 0,
        max_instances: int = 10,
        deletion_protection: bool = True,
        labels: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gcp-s3-federation:gcp:CloudRunService", name, None, opts)
        envs = pulumi.Output.from_input(environment).apply(
            lambda values: [{"name": k, "value": v} for k, v in sorted(values.items())]
        )
        service = gcp.cloudrunv2.Service(
            name,
            name=name,
            project=project,
            location=region,
            ingress=ingress,
            deletion_protection=deletion_protection,
            labels=dict(labels or {}),
            template={
                "service_account": service_account_email,
                "scaling": {"min_instance_count": min_instances, "max_instance_count": max_instances},
                "containers": [{"image": image, "envs": envs}],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.uri = service.uri
        self.service_name = service.name
        self.register_outputs({"uri": self.uri, "service_name": self.service_name})
