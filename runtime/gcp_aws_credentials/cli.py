"""`gcp-aws-credentials`: the exchange for any AWS SDK, CLI or JVM, without a static key.

  credential-process  print AWS credential_process JSON (use from an AWS config profile)
  token-file          keep AWS_WEB_IDENTITY_TOKEN_FILE fresh (Hadoop S3A, any SDK)
  explain trust       offline: would this role's trust accept this token? (exit 0 allow, 1 deny)
  explain request     offline: would this S3 request, or every request of a client flow
                      (--flow boto3:upload_file, awscli:sync_upload, s3a:...), be allowed? (exit 0 allow, 1 deny)
                      (both read a `make plan` report, --plan, or a deployed stack's export, --state)
  doctor              on GCP: run every link of the chain, stop at the first broken one
                      (--plan/--state --workload: the service account IAM check alone, offline)

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

from .claims import decode_claims
from .doctor import Doctor, DoctorArgs, Step, as_json, offline_iam, render
from .environment import (
    AUDIENCE,
    DEFAULT_DURATION_SECONDS,
    DURATION_SECONDS,
    REGION,
    REGION_FALLBACK,
    ROLE_ARN,
    SESSION_NAME,
    TOKEN_FILE,
)
from .errors import GcpAwsError
from .explain import Explanation, PlanDocuments, S3Request, explain_request, explain_trust
from .flows import explain_flow
from .metadata import MetadataTokenSource
from .session import WebIdentityExchange
from .state import StackState, load_state
from .token_file import DEFAULT_INTERVAL_SECONDS, refresh_forever


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gcp-aws-credentials", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    process = commands.add_parser("credential-process", help="print credential_process JSON")
    process.add_argument("--role-arn", default=_env(ROLE_ARN), required=_env(ROLE_ARN) is None)
    process.add_argument("--audience", default=_env(AUDIENCE), required=_env(AUDIENCE) is None)
    process.add_argument(
        "--session-name",
        default=_env(SESSION_NAME),
        help="default: the service account email without .iam.gserviceaccount.com",
    )
    process.add_argument(
        "--duration-seconds", type=int, default=int(_env(DURATION_SECONDS) or DEFAULT_DURATION_SECONDS)
    )
    process.add_argument("--region", default=_env(REGION) or _env(REGION_FALLBACK))

    token = commands.add_parser("token-file", help="keep a web identity token file fresh")
    token.add_argument("--audience", default=_env(AUDIENCE), required=_env(AUDIENCE) is None)
    token.add_argument(
        "--path",
        type=Path,
        default=_env(TOKEN_FILE),
        required=_env(TOKEN_FILE) is None,
        help=f"default ${TOKEN_FILE}; put it on tmpfs, e.g. /run/gcp-aws/token",
    )
    token.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_SECONDS, help="seconds between writes")
    token.add_argument("--once", action="store_true", help="write once and exit")
    token.add_argument("--mode", type=lambda text: int(text, 8), default=0o600, help="file mode, octal")

    explain = commands.add_parser("explain", help="offline: why is this token or request refused?")
    what = explain.add_subparsers(dest="what", required=True)
    trust = what.add_parser("trust", help="evaluate a role trust against a token")
    source = trust.add_mutually_exclusive_group(required=True)
    source.add_argument("--trust", type=Path, help="trust policy JSON file")
    _state_sources(source)
    trust.add_argument("--workload", help="workload name (or its role ARN); needed with --plan/--state")
    token_input = trust.add_mutually_exclusive_group(required=True)
    token_input.add_argument("--token", help="a JWT (read locally, never printed)")
    token_input.add_argument("--claims", help="claims as JSON, or @file")
    trust.add_argument("--session-name")

    request = what.add_parser("request", help="evaluate an S3 request against the stack's policies")
    _state_sources(request.add_mutually_exclusive_group(required=True))
    request.add_argument("--workload", required=True, help="workload name, or its role ARN")
    what_request = request.add_mutually_exclusive_group(required=True)
    what_request.add_argument("--action", help="e.g. s3:GetObject, s3:PutObject, s3:ListBucket")
    what_request.add_argument(
        "--flow", help="a client flow, every HTTP request it sends: e.g. boto3:upload_file, s3a:rename_file@3.4+"
    )
    request.add_argument("--prefix", help="with --flow: where the flow runs, e.g. curated/daily/")
    request.add_argument("--bucket", required=True)
    request.add_argument("--key", help="object key, or the list prefix for s3:ListBucket (omit: no prefix)")
    request.add_argument("--sse", help="x-amz-server-side-encryption header, e.g. aws:kms")
    request.add_argument("--sse-kms-key-id", help="x-amz-server-side-encryption-aws-kms-key-id header")
    request.add_argument("--no-tls", action="store_true", help="model a plain-HTTP request")

    doctor = commands.add_parser("doctor", help="check the whole chain from this workload")
    doctor.add_argument("--role-arn", default=_env(ROLE_ARN))
    doctor.add_argument("--audience", default=_env(AUDIENCE))
    doctor.add_argument("--bucket")
    doctor.add_argument("--prefix")
    doctor.add_argument("--region", default=_env(REGION) or _env(REGION_FALLBACK))
    doctor.add_argument("--session-name", default=_env(SESSION_NAME))
    doctor.add_argument(
        "--kms-key-arn",
        help="with --write-probe: the key the bucket's default encryption must use (else any SSE-KMS key)",
    )
    doctor.add_argument("--write-probe", action="store_true", help="also write, read and delete a small probe")
    doctor.add_argument("--json", action="store_true", help="print the steps as JSON")
    doctor.add_argument(
        "--iam-policy",
        help="the declared IAM policy of this workload's service account (stack output "
        "workloads.<name>.service_account_iam_policy; JSON or @file): report bindings beyond it",
    )
    _state_sources(doctor.add_mutually_exclusive_group())
    doctor.add_argument(
        "--workload", help="with --plan/--state: check only that workload's service account IAM, offline"
    )
    return parser


def _state_sources(group: argparse._MutuallyExclusiveGroup) -> None:
    group.add_argument("--plan", type=Path, help="`make plan` report (REPORT=path)")
    group.add_argument(
        "--state", type=Path, help="`pulumi stack export` JSON of a deployed stack; '-' reads it from stdin"
    )


def _stack_state(args: argparse.Namespace) -> StackState:
    path: Path = args.plan or args.state
    return load_state(sys.stdin.read() if str(path) == "-" else path.read_text())


def _claims(args: argparse.Namespace) -> dict[str, Any]:
    if args.token:
        return decode_claims(args.token)
    text = Path(args.claims[1:]).read_text() if args.claims.startswith("@") else args.claims
    claims = json.loads(text)
    if not isinstance(claims, dict):
        raise ValueError("--claims must be a JSON object")
    return claims


def explain(args: argparse.Namespace) -> Explanation:
    if args.what == "trust":
        if args.trust is None:
            if not args.workload:
                raise ValueError("--plan and --state need --workload")
            document = PlanDocuments(_stack_state(args), args.workload).trust
        else:
            document = json.loads(args.trust.read_text())
        return explain_trust(document, _claims(args), args.session_name)
    if args.flow:
        if args.prefix is None:
            raise ValueError("--flow needs --prefix (the grant's prefix, '' for the bucket root)")
        return explain_flow(_stack_state(args), args.workload, args.flow, args.bucket, args.prefix)
    plan = PlanDocuments(_stack_state(args), args.workload)
    request = S3Request(args.action, args.bucket, args.key, args.sse, args.sse_kms_key_id, not args.no_tls)
    return explain_request(plan, request)


def doctor(args: argparse.Namespace) -> list[Step]:
    if args.plan or args.state:
        if not args.workload:
            raise ValueError("doctor --plan/--state checks one workload's service account IAM: add --workload")
        return offline_iam(_stack_state(args), args.workload)
    missing = [
        f"--{name.replace('_', '-')}"
        for name in ("role_arn", "audience", "bucket", "prefix")
        if not getattr(args, name)
    ]
    if missing:
        raise ValueError(f"doctor needs {', '.join(missing)} (role ARN and audience default to the workload env)")
    policy = args.iam_policy
    if policy is not None and policy.startswith("@"):
        policy = Path(policy[1:]).read_text()
    return Doctor(
        DoctorArgs(
            args.role_arn,
            args.audience,
            args.bucket,
            args.prefix,
            args.region,
            args.session_name,
            args.kms_key_arn,
            args.write_probe,
            policy,
        )
    ).run()


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
        elif args.command == "explain":
            explanation = explain(args)
            print(explanation.text())
            return 0 if explanation.allowed else 1
        elif args.command == "doctor":
            steps = doctor(args)
            print(json.dumps(as_json(steps), indent=2) if args.json else render(steps))
            return 0 if all(step.ok for step in steps) else 1
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
    except (GcpAwsError, ValueError, OSError) as error:
        print(f"gcp-aws-credentials: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
