"""The dedicated GCP service account a workload runs as, and who may act as it."""

import json

import pulumi
import pulumi_gcp as gcp

from .args import WorkloadServiceAccountArgs
from .fields import (
    check_environment,
    check_gcp_project,
    check_iam_member,
    check_service_account_id,
    check_workload_kind,
)
from .gcp_iam import service_account_email, service_account_policy
from .naming import MANAGED_BY
from .placement import ChildOptions, children_of
from .validation import validate_args

# Project roles each workload kind needs to run at all; nothing else is granted.
PROJECT_ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "cloud-run": (),
    "dataproc": ("roles/dataproc.worker",),
    "service-account-only": (),
}


class WorkloadServiceAccount(pulumi.ComponentResource):
    """A keyless service account whose numeric unique id feeds the AWS trust.

    Its IAM policy is authoritative (`gcp.serviceaccount.IAMPolicy`): exactly the declared deployers
    (roles/iam.serviceAccountUser) and token creators, nobody else. With `adopt_existing` the account is
    read, not created, and that policy replaces whatever bindings it had.
    """

    email: pulumi.Output[str]
    """The service account email."""
    unique_id: pulumi.Output[str]
    """The numeric unique id (the token's azp and sub)."""
    member: pulumi.Output[str]
    """serviceAccount:<email>, for IAM bindings."""
    iam_policy: pulumi.Output[str]
    """The service account's whole IAM policy (JSON)."""

    def __init__(self, name: str, args: WorkloadServiceAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        rules = {
            "account_id": check_service_account_id,
            "project": check_gcp_project,
            "environment": check_environment,
            "kind": check_workload_kind,
            "deployers[]": check_iam_member,
            "token_creators[].member": check_iam_member,
        }
        args = validate_args("WorkloadServiceAccount", args, rules)
        super().__init__("gcp-s3-federation:index:WorkloadServiceAccount", name, None, opts)
        account = declare_service_account(name, args, children_of(self))
        self.email = account.email
        self.unique_id = account.unique_id
        self.member = iam_member(account)
        self.iam_policy = pulumi.Output.from_input(service_account_policy_json(args))
        self.register_outputs(
            {"email": self.email, "unique_id": self.unique_id, "member": self.member, "iam_policy": self.iam_policy}
        )


def service_account_policy_json(args: WorkloadServiceAccountArgs) -> str:
    """The service account's whole IAM policy, as `IAMPolicy.policy_data` takes it."""
    return json.dumps(service_account_policy(args.get("deployers", []), args.get("token_creators", [])), sort_keys=True)


def iam_member(account: gcp.serviceaccount.Account) -> pulumi.Output[str]:
    """`serviceAccount:<email>`, for IAM bindings."""
    return account.email.apply(lambda email: f"serviceAccount:{email}")


def declare_service_account(
    name: str, args: WorkloadServiceAccountArgs, child: ChildOptions
) -> gcp.serviceaccount.Account:
    """The account (or the adopted one), its authoritative IAM policy and the project roles its kind
    needs, placed by `child` (arguments already validated). `FederatedWorkload` declares these directly,
    without the component layer."""
    project, environment = args["project"], args["environment"]
    account: gcp.serviceaccount.Account
    if args.get("adopt_existing", False):
        email = service_account_email(args["account_id"], project)
        account_id = f"projects/{project}/serviceAccounts/{email}"
        account = gcp.serviceaccount.Account.get(name, account_id, opts=child(gcp.serviceaccount.Account, name))
    else:
        account = gcp.serviceaccount.Account(
            name,
            account_id=args["account_id"],
            project=project,
            display_name=f"{name} (S3 federation, {environment})",
            # Service accounts take no labels; the description carries them instead.
            description=f"environment={environment} workload={name} managed-by={MANAGED_BY}",
            opts=child(gcp.serviceaccount.Account, name),
        )
    gcp.serviceaccount.IAMPolicy(
        f"{name}-iam",
        service_account_id=account.name,
        policy_data=service_account_policy_json(args),
        opts=child(gcp.serviceaccount.IAMPolicy, f"{name}-iam"),
    )
    for role in PROJECT_ROLES_BY_KIND[args["kind"]]:
        member_name = f"{name}-{role.removeprefix('roles/').replace('.', '-')}"
        gcp.projects.IAMMember(
            member_name,
            project=project,
            role=role,
            member=iam_member(account),
            opts=child(gcp.projects.IAMMember, member_name),
        )
    return account
