"""`gcp-aws-credentials`: the exchange for any AWS SDK, CLI or JVM, without a static key.

  credential-process  print AWS credential_process JSON (use from an AWS config profile)
  token-file          keep AWS_WEB_IDENTITY_TOKEN_FILE fresh (Hadoop S3A, any SDK)

Options default to the environment the stack gives each workload: AWS_ROLE_ARN, GCP_AWS_AUDIENCE,
AWS_ROLE_SESSION_NAME, GCP_AWS_DURATION_SECONDS, AWS_REGION.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .diagnose import FederationError
from .metadata import MetadataError, MetadataTokenSource
from .session import DEFAULT_DURATION_SECONDS, WebIdentityExchange
from .token_file import DEFAULT_INTERVAL_SECONDS, refresh_forever


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gcp-aws-credentials", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    process = commands.add_parser("credential-process", help="print credential_process JSON")
    process.add_argument("--role-arn", default=_env("AWS_ROLE_ARN"), required=_env("AWS_ROLE_ARN") is None)
    process.add_argument("--audience", default=_env("GCP_AWS_AUDIENCE"), required=_env("GCP_AWS_AUDIENCE") is None)
    process.add_argument(
        "--session-name",
        default=_env("AWS_ROLE_SESSION_NAME"),
        help="default: the service account email without .iam.gserviceaccount.com",
    )
    process.add_argument(
        "--duration-seconds", type=int, default=int(_env("GCP_AWS_DURATION_SECONDS") or DEFAULT_DURATION_SECONDS)
    )
    process.add_argument("--region", default=_env("AWS_REGION") or _env("AWS_DEFAULT_REGION"))

    token = commands.add_parser("token-file", help="keep a web identity token file fresh")
    token.add_argument("--audience", default=_env("GCP_AWS_AUDIENCE"), required=_env("GCP_AWS_AUDIENCE") is None)
    token.add_argument("--path", type=Path, required=True, help="put it on tmpfs, e.g. /run/gcp-aws/token")
    token.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_SECONDS, help="seconds between writes")
    token.add_argument("--once", action="store_true", help="write once and exit")
    token.add_argument("--mode", type=lambda text: int(text, 8), default=0o600, help="file mode, octal")
    return parser


def credential_process(args: argparse.Namespace) -> dict[str, Any]:
    exchange = WebIdentityExchange(
        args.role_arn,
        args.audience,
        args.session_name,
        args.duration_seconds,
        args.region,
        MetadataTokenSource(args.audience),
    )
    credentials = exchange.fetch()
    return {
        "Version": 1,
        "AccessKeyId": credentials["access_key"],
        "SecretAccessKey": credentials["secret_key"],
        "SessionToken": credentials["token"],
        "Expiration": credentials["expiry_time"],
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "credential-process":
            print(json.dumps(credential_process(args)))
        else:

            def report(error: Exception) -> None:
                print(
                    f"gcp-aws-credentials: token refresh failed, keeping the previous file: {error}",
                    file=sys.stderr,
                    flush=True,
                )

            refresh_forever(
                MetadataTokenSource(args.audience),
                args.path,
                args.interval,
                args.mode,
                iterations=1 if args.once else None,
                on_error=None if args.once else report,
            )
    except (FederationError, MetadataError, ValueError) as error:
        print(f"gcp-aws-credentials: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
