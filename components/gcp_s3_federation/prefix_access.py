"""Least-privilege access to bucket prefixes, as one inline policy on a role."""

import pulumi
import pulumi_aws as aws

from .args import PrefixAccessPolicyArgs
from .documents import PrefixGrant, prefix_access_policy, render
from .fields import (
    check_access,
    check_aws_region,
    check_bucket_name,
    check_prefix,
    check_role_name,
    kms_key_rule,
    partition_for_region,
)
from .placement import ChildOptions, children_of
from .validation import Rule, validate_args

POLICY_NAME = "s3-prefix-access"


def argument_rules(region: object) -> dict[str, Rule]:
    """The rules for a grant list; a key must be in the buckets' region."""
    return {
        "grants[].bucket": check_bucket_name,
        "grants[].prefix": check_prefix,
        "grants[].access": check_access,
        "grants[].kms_key_arn": kms_key_rule(region),
    }


class PrefixAccessPolicy(pulumi.ComponentResource):
    """Attaches the merged prefix-access document (see `documents.prefix_access_policy`) to a role."""

    policy: pulumi.Output[str]
    """The rendered identity policy JSON."""

    def __init__(self, name: str, args: PrefixAccessPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        rules = {"region": check_aws_region, "role_name": check_role_name, **argument_rules(args.get("region"))}
        args = validate_args("PrefixAccessPolicy", args, rules)
        super().__init__("gcp-s3-federation:index:PrefixAccessPolicy", name, None, opts)
        self.policy = declare_prefix_access(name, args, children_of(self))
        self.register_outputs({"policy": self.policy})


def declare_prefix_access(name: str, args: PrefixAccessPolicyArgs, child: ChildOptions) -> pulumi.Output[str]:
    """The role's inline prefix-access policy, placed by `child` (arguments already validated); returns the
    rendered document. `FederatedWorkload` declares it directly, without the component layer."""
    grants, region = args["grants"], args["region"]
    policy = pulumi.Output.all(*[g["kms_key_arn"] for g in grants]).apply(
        lambda keys: render(
            prefix_access_policy(
                [
                    PrefixGrant(
                        g["bucket"],
                        g["prefix"],
                        g["access"],  # type: ignore[arg-type]
                        key,
                        g.get("list_exact_prefix", False),
                    )
                    for g, key in zip(grants, keys, strict=True)
                ],
                region,
                partition=partition_for_region(region),
            )
        )
    )
    aws.iam.RolePolicy(
        name, name=POLICY_NAME, role=args["role_name"], policy=policy, opts=child(aws.iam.RolePolicy, name)
    )
    return policy
