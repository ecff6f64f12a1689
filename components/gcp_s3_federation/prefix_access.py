"""Least-privilege access to bucket prefixes, as one inline policy on a role."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .documents import Access, PrefixGrant, prefix_access_policy, render

POLICY_NAME = "s3-prefix-access"


@dataclass(frozen=True)
class GrantArgs:
    """A prefix grant whose KMS key ARN may not be known until the key exists."""

    bucket: str
    """S3 bucket name."""
    prefix: str
    """Key prefix ending in '/'."""
    access: Access
    """read, write or read-write."""
    kms_key_arn: pulumi.Input[str]
    """ARN of the customer-managed key that encrypts the bucket."""


class PrefixAccessPolicy(pulumi.ComponentResource):
    """Attaches the merged prefix-access document (see `documents.prefix_access_policy`) to a role."""

    policy: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        role_name: pulumi.Input[str],
        grants: Sequence[GrantArgs],
        region: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("gcp-s3-federation:aws:PrefixAccessPolicy", name, None, opts)
        self.policy = pulumi.Output.all(*[g.kms_key_arn for g in grants]).apply(
            lambda keys: render(
                prefix_access_policy(
                    [PrefixGrant(g.bucket, g.prefix, g.access, key) for g, key in zip(grants, keys, strict=True)],
                    region,
                )
            )
        )
        aws.iam.RolePolicy(
            name,
            name=POLICY_NAME,
            role=role_name,
            policy=self.policy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"policy": self.policy})
