"""A Cloud Run v2 service that runs as the workload's service account and federates to AWS."""

from collections.abc import Mapping

import pulumi
import pulumi_gcp as gcp

from .args import CloudRunServiceArgs
from .fields import (
    DEFAULT_DELETION_PROTECTION,
    DEFAULT_INGRESS,
    DEFAULT_MAX_INSTANCES,
    DEFAULT_MIN_INSTANCES,
    check_gcp_project,
    check_gcp_region,
    check_image,
    check_ingress,
)
from .validation import validate_args

ARGUMENT_RULES = {
    "project": check_gcp_project,
    "region": check_gcp_region,
    "service.image": check_image,
    "service.ingress": check_ingress,
}


def bring_your_own_command(service: str, region: str, email: str, environment: Mapping[str, str]) -> str:
    """The gcloud command that wires an existing service to the federation (no secret in it)."""
    env = ",".join(f"{k}={v}" for k, v in sorted(environment.items()))
    return f"gcloud run services update {service} --region {region} --service-account {email} --update-env-vars {env}"


class CloudRunService(pulumi.ComponentResource):
    """The service's env holds only the role ARN, region, audience and grants; never an AWS secret.
    Its names are the runtime's contract (`gcp_aws_credentials.environment`), rendered by `FederatedWorkload`.

    Inside the container, `gcp_aws_credentials.session_from_environment()` returns a boto3 Session.
    Defaults: internal-only ingress, scale to zero, at most 10 instances, deletion protection on.
    """

    uri: pulumi.Output[str]
    """The service URL."""
    service_name: pulumi.Output[str]
    """The service name."""

    def __init__(self, name: str, args: CloudRunServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = validate_args("CloudRunService", args, ARGUMENT_RULES)
        super().__init__("gcp-s3-federation:index:CloudRunService", name, None, opts)
        envs = pulumi.Output.from_input(args["environment"]).apply(
            lambda values: [{"name": k, "value": v} for k, v in sorted(values.items())]
        )
        options = args["service"]
        service = gcp.cloudrunv2.Service(
            name,
            name=name,
            project=args["project"],
            location=args["region"],
            ingress=options.get("ingress", DEFAULT_INGRESS),
            deletion_protection=options.get("deletion_protection", DEFAULT_DELETION_PROTECTION),
            labels=args.get("labels", {}),
            template={
                "service_account": args["service_account_email"],
                "scaling": {
                    "min_instance_count": options.get("min_instances", DEFAULT_MIN_INSTANCES),
                    "max_instance_count": options.get("max_instances", DEFAULT_MAX_INSTANCES),
                },
                "containers": [{"image": options["image"], "envs": envs}],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.uri = service.uri
        self.service_name = service.name
        self.register_outputs({"uri": self.uri, "service_name": self.service_name})
