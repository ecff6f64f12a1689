"""IAM OIDC provider for https://accounts.google.com: created, or adopted by ARN."""

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .args import GoogleOidcProviderArgs
from .fields import MAX_OIDC_CLIENT_IDS, check_oidc_provider_arn
from .naming import MANAGED_BY
from .validation import validate_args

GOOGLE_ISSUER_URL = "https://accounts.google.com"


class GoogleOidcProvider(pulumi.ComponentResource):
    """The account's single IAM OIDC provider for Google tokens.

    Only one provider per issuer URL can exist in an account, and while it exists STS may check
    every accounts.google.com token against its client-ID list. The list therefore holds every
    audience in use *and* every service-account unique id (which claim IAM checks when `azp` is
    present is unconfirmed, so both are listed). With `existing_arn` nothing is created: the owner
    of that provider must keep its list complete (see the `required_client_ids` output).
    """

    arn: pulumi.Output[str]
    """The provider ARN: the Federated principal of provider-mode trusts."""
    required_client_ids: pulumi.Output[list[str]]
    """The client IDs the provider must list for this stack's workloads."""

    def __init__(self, name: str, args: GoogleOidcProviderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = validate_args("GoogleOidcProvider", args, {"existing_arn": check_oidc_provider_arn})
        super().__init__("gcp-s3-federation:index:GoogleOidcProvider", name, None, opts)
        required = pulumi.Output.from_input(args["client_ids"]).apply(_deduplicated)
        existing_arn = args.get("existing_arn")
        if existing_arn is not None:
            self.arn = pulumi.Output.from_input(existing_arn)
        else:
            provider = aws.iam.OpenIdConnectProvider(
                name,
                url=GOOGLE_ISSUER_URL,
                client_id_lists=required,
                tags={"managed-by": MANAGED_BY, **args.get("tags", {})},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.arn = provider.arn
        self.required_client_ids = required
        self.register_outputs({"arn": self.arn, "required_client_ids": self.required_client_ids})


def _deduplicated(values: Sequence[Any]) -> list[str]:
    unique = list(dict.fromkeys(values))
    if len(unique) > MAX_OIDC_CLIENT_IDS:
        raise ValueError(
            f"an IAM OIDC provider holds at most {MAX_OIDC_CLIENT_IDS} client ids, this stack needs {len(unique)}: "
            "use trust.mode builtin, or split workloads across accounts"
        )
    return unique
