"""Least-privilege access to bucket prefixes, as one inline policy on a role."""

import pulumi
import pulumi_aws as aws

from .args import PrefixAccessPolicyArgs
from .documents import PrefixGrant, prefix_access_policy, render

POLICY_NAME = "s3-prefix-access"


class PrefixAccessPolicy(pulumi.ComponentResource):
    """Attaches the merged prefix-access document (see `documents.prefix_access_policy`) to a role."""

    policy: pulumi.Output[str]
    """The rendered identity policy JSON."""

    def __init__(self, name: str, args: PrefixAccessPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("gcp-s3-federation:index:PrefixAccessPolicy", name, None, opts)
        grants, region = args["grants"], args["region"]
        self.policy = pulumi.Output.all(*[g["kms_key_arn"] for g in grants]).apply(
            lambda keys: render(
                prefix_access_policy(
                    [
                        PrefixGrant(g["bucket"], g["prefix"], g["access"], key)  # type: ignore[arg-type]
                        for g, key in zip(grants, keys, strict=True)
                    ],
                    region,
                )
            )
        )
        aws.iam.RolePolicy(
            name,
            name=POLICY_NAME,
            role=args["role_name"],
            policy=self.policy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"policy": self.policy})
