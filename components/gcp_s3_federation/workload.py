"""One workload spec wired to its service account, its role and its prefix grants."""

import pulumi

from gcp_aws_credentials.environment import WorkloadEnvironment

from .args import FederatedRoleArgs, FederatedWorkloadArgs, WorkloadServiceAccountArgs
from .cloud_run import CloudRunService, bring_your_own_command
from .dataproc import DataprocCluster
from .federated_role import ARGUMENT_RULES as ROLE_ARGUMENT_RULES
from .federated_role import declare_federated_role
from .fields import (
    DEFAULT_SESSION_SECONDS,
    check_audience,
    check_aws_region,
    check_environment,
    check_gcp_project,
    check_gcp_region,
    check_iam_member,
    check_image,
    check_ingress,
    check_permissions_boundary_arn,
    check_principal,
    check_revocation_text,
    check_role_name,
    check_role_path,
    check_service_account_id,
    check_session_duration,
    check_session_name,
    check_workload_kind,
)
from .naming import aws_tags, gcp_labels, role_name, session_name
from .placement import moved_out_of, root_child_urn
from .prefix_access import argument_rules, declare_prefix_access
from .service_account import declare_service_account, service_account_policy_json
from .validation import ArgumentError, Rule, validate_args

ARGUMENT_RULES: dict[str, Rule] = {
    "kind": check_workload_kind,
    "service_account_id": check_service_account_id,
    "gcp_project": check_gcp_project,
    "environment": check_environment,
    "aws_region": check_aws_region,
    "principal": check_principal,
    "audience": check_audience,
    "role_path": check_role_path,
    "max_session_duration": check_session_duration,
    "default_session_duration": check_session_duration,
    "permissions_boundary_arn": check_permissions_boundary_arn,
    "gcp_region": check_gcp_region,
    "sessions_issued_before": check_revocation_text,
    "cloud_run.image": check_image,
    "cloud_run.ingress": check_ingress,
    "deployers[]": check_iam_member,
    "token_creators[].member": check_iam_member,
}


FEDERATED_WORKLOAD = "gcp-s3-federation:index:FederatedWorkload"
# The component layers a workload's resources sat in before they became its direct children.
WORKLOAD_SERVICE_ACCOUNT = "gcp-s3-federation:index:WorkloadServiceAccount"
FEDERATED_ROLE = "gcp-s3-federation:index:FederatedRole"
PREFIX_ACCESS_POLICY = "gcp-s3-federation:index:PrefixAccessPolicy"


def _validated(name: str, args: FederatedWorkloadArgs) -> FederatedWorkloadArgs:
    args = validate_args("FederatedWorkload", args, {**ARGUMENT_RULES, **argument_rules(args.get("aws_region"))})
    derived = {
        "role_name": role_name(args["environment"], name),
        "session_name": session_name(args["service_account_id"], args["gcp_project"]),
    }
    validate_args("FederatedWorkload", derived, {"role_name": check_role_name, "session_name": check_session_name})
    if not args["grants"]:
        raise ArgumentError("FederatedWorkload", "grants", [], "must hold at least one grant")
    default = args.get("default_session_duration", DEFAULT_SESSION_SECONDS)
    maximum = args.get("max_session_duration", DEFAULT_SESSION_SECONDS)
    if default > maximum:
        rule = f"must not exceed max_session_duration ({maximum})"
        raise ArgumentError("FederatedWorkload", "default_session_duration", default, rule)
    return args


class FederatedWorkload(pulumi.ComponentResource):
    """Service account (GCP) + federated role and prefix policy (AWS) for one workload, plus its
    compute when asked: a Cloud Run service (`cloud_run`) or a Dataproc cluster (`dataproc`).

    Pass explicit providers with `opts=pulumi.ResourceOptions(providers={"aws": ..., "gcp": ...})`;
    every child inherits them.

    The service account, role and prefix policy are its direct children (what `WorkloadServiceAccount`,
    `FederatedRole` and `PrefixAccessPolicy` declare, without those component layers: fewer
    registrations per workload). Stacks deployed when they sat inside those components keep them:
    each carries an alias to its former URN.
    """

    role_arn: pulumi.Output[str]
    """The federated role ARN."""
    service_account_email: pulumi.Output[str]
    """The workload's service account."""
    service_account_unique_id: pulumi.Output[str]
    """The service account's numeric unique id."""
    service_account_iam_policy: pulumi.Output[str]
    """The service account's whole IAM policy (JSON): who may deploy as it or mint its tokens."""
    session_name: pulumi.Output[str]
    """The role session name the trust pins."""
    environment_variables: pulumi.Output[dict[str, str]]
    """The env the workload needs (no secrets)."""
    compute: pulumi.Output[dict[str, str]]
    """The Cloud Run URL, the Dataproc cluster, or the bring-your-own gcloud command."""

    def __init__(self, name: str, args: FederatedWorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = _validated(name, args)
        super().__init__(FEDERATED_WORKLOAD, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Its own URN, known now unless a parent was given (then once that parent's URN resolves).
        own_urn = self.urn if opts is not None and opts.parent is not None else root_child_urn(FEDERATED_WORKLOAD, name)
        environment, project, audience = args["environment"], args["gcp_project"], args["audience"]
        aws_region, gcp_region = args["aws_region"], args.get("gcp_region", "")
        session = session_name(args["service_account_id"], project)
        account_args: WorkloadServiceAccountArgs = {
            "account_id": args["service_account_id"],
            "project": project,
            "environment": environment,
            "kind": args["kind"],
            "deployers": args.get("deployers", []),
            "token_creators": args.get("token_creators", []),
            "adopt_existing": args.get("adopt_service_account", False),
        }
        account = declare_service_account(
            name, account_args, moved_out_of(self, own_urn, WORKLOAD_SERVICE_ACCOUNT, name)
        )
        unique_id_rule = {"service_account_unique_id": ROLE_ARGUMENT_RULES["service_account_unique_id"]}
        role_args = FederatedRoleArgs(
            role_name=role_name(environment, name),
            path=args["role_path"],
            principal=args["principal"],
            service_account_unique_id=account.unique_id,
            audience=audience,
            session_name=session,
            max_session_duration=args.get("max_session_duration", DEFAULT_SESSION_SECONDS),
            tags=aws_tags(environment, name),
            trust_suspended=args.get("trust_suspended", False),
        )
        if "permissions_boundary_arn" in args:
            role_args["permissions_boundary_arn"] = args["permissions_boundary_arn"]
        if "sessions_issued_before" in args:
            role_args["sessions_issued_before"] = args["sessions_issued_before"]
        role_args = validate_args("FederatedRole", role_args, unique_id_rule)  # the rest is checked above
        role, _ = declare_federated_role(name, role_args, moved_out_of(self, own_urn, FEDERATED_ROLE, name))
        declare_prefix_access(
            name,
            {"role_name": role.name, "grants": args["grants"], "region": aws_region},
            moved_out_of(self, own_urn, PREFIX_ACCESS_POLICY, name),
        )
        self.role_arn = role.arn
        self.service_account_email = account.email
        self.service_account_unique_id = account.unique_id
        self.service_account_iam_policy = pulumi.Output.from_input(service_account_policy_json(account_args))
        self.session_name = pulumi.Output.from_input(session)
        duration = args.get("default_session_duration", DEFAULT_SESSION_SECONDS)
        self.environment_variables = role.arn.apply(
            lambda arn: WorkloadEnvironment(
                role_arn=arn, session_name=session, region=aws_region, audience=audience, duration_seconds=duration
            ).variables()
        )
        labels = gcp_labels(environment, name)
        cloud_run, dataproc = args.get("cloud_run"), args.get("dataproc")
        if cloud_run is not None:
            service = CloudRunService(
                name,
                {
                    "service": cloud_run,
                    "service_account_email": self.service_account_email,
                    "environment": self.environment_variables,
                    "project": project,
                    "region": gcp_region,
                    "labels": labels,
                },
                opts=child,
            )
            self.compute = service.uri.apply(lambda uri: {"cloud_run_uri": uri})
        elif dataproc is not None:
            cluster = DataprocCluster(
                name,
                {
                    "cluster": dataproc,
                    "service_account_email": self.service_account_email,
                    "role_arn": self.role_arn,
                    "session_name": session,
                    "audience": audience,
                    "project": project,
                    "region": gcp_region,
                    "aws_region": aws_region,
                    "bucket_keys": {g["bucket"]: g["kms_key_arn"] for g in args["grants"]},
                    "labels": labels,
                },
                opts=child,
            )
            self.compute = pulumi.Output.all(cluster.cluster_name, cluster.staging_bucket).apply(
                lambda values: {"dataproc_cluster": values[0], "staging_bucket": values[1]}
            )
        elif args["kind"] == "cloud-run":
            self.compute = pulumi.Output.all(self.service_account_email, self.environment_variables).apply(
                lambda values: {"bring_your_own": bring_your_own_command(name, gcp_region, values[0], values[1])}
            )
        else:
            self.compute = pulumi.Output.from_input({})
        self.register_outputs(
            {
                "compute": self.compute,
                "role_arn": self.role_arn,
                "service_account_email": self.service_account_email,
                "service_account_unique_id": self.service_account_unique_id,
                "service_account_iam_policy": self.service_account_iam_policy,
                "session_name": self.session_name,
                "environment_variables": self.environment_variables,
            }
        )
