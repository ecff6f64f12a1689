"""`gcp-aws-credentials doctor`: run each link of the chain on GCP and stop at the first broken one.

1 metadata server reachable, 2 ID token issued (claims shown), 3 STS exchange (caller identity shown),
4 ListObjectsV2 inside the prefix, 5 SSE-KMS PutObject + GetObject of a probe (only with
--write-probe), else a read of an existing object (KMS through S3), 6 with --iam-policy, the service
account's IAM policy against the declared one (`sa_policy`). Never prints a token or a secret.

Each step has a stable `id`; a failed step a stable `code`, taken from the runtime's structured errors
(`GcpAwsError.code`) or from the AWS error code of the S3 response, never from message text.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .claims import decode_claims, describe
from .errors import GcpAwsError
from .metadata import MetadataTokenSource
from .sa_policy import PolicyUnreadableError, beyond_declared, describe_bindings, offline_findings, read_own_policy
from .session import WebIdentityExchange, session_with_credentials
from .state import StackState

JSON_VERSION = 1


@dataclass
class Step:
    id: str  # stable: metadata, token, sts, list, write-read, read, iam
    name: str
    ok: bool
    detail: str
    code: str = ""  # stable error code of a failed step
    cause: str = ""
    fix: str = ""


@dataclass(frozen=True)
class DoctorArgs:
    role_arn: str
    audience: str
    bucket: str
    prefix: str
    region: str | None = None
    session_name: str | None = None
    kms_key_arn: str | None = None
    write_probe: bool = False
    declared_iam_policy: str | None = None  # the stack output workloads.<name>.service_account_iam_policy


def _aws_error(error: Exception) -> tuple[str, str]:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return str(details.get("Code", "")), str(details.get("Message", ""))
    return type(error).__name__, str(error)


def _s3_code(step: str, error: Exception) -> str:
    """`<step>-denied` for AccessDenied, `<step>-kms-<code>` for KMS.* answers, `<step>-unreachable` for
    network errors, else `<step>-<aws code>` (S3 error codes: S3 API Reference, "Error responses")."""
    if not isinstance(error, ClientError):
        return f"{step}-unreachable"
    code, _ = _aws_error(error)
    if code == "AccessDenied":
        return f"{step}-denied"
    if code.startswith("KMS."):
        return f"{step}-kms-{code.removeprefix('KMS.').lower()}"
    return f"{step}-{code.lower() or 'error'}"


class Doctor:
    def __init__(self, args: DoctorArgs) -> None:
        self.args = args
        self.tokens = MetadataTokenSource(args.audience)
        self.steps: list[Step] = []
        self._s3: Any = None
        self._first_key: str | None = None

    def run(self) -> list[Step]:
        checks: list[Callable[[], Step]] = [self.metadata, self.token, self.sts, self.list_prefix]
        checks += [self.write_read_probe] if self.args.write_probe else [self.read_existing]
        checks += [self.service_account_iam] if self.args.declared_iam_policy is not None else []
        for check in checks:
            step = check()
            self.steps.append(step)
            if not step.ok:
                break
        return self.steps

    def metadata(self) -> Step:
        request = urllib.request.Request(
            f"http://{self.tokens.host}/computeMetadata/v1/", headers={"Metadata-Flavor": "Google"}
        )
        try:
            urllib.request.urlopen(request, timeout=3).close()
        except urllib.error.HTTPError:
            pass  # any HTTP answer proves the server is there
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            return Step(
                "metadata",
                "metadata server",
                False,
                f"{self.tokens.host} did not answer ({error})",
                "metadata-unreachable",
                "not running on Cloud Run, GCE or Dataproc, or GCE_METADATA_HOST points nowhere",
                "run on the workload, or set GCE_METADATA_HOST to a metadata emulator",
            )
        return Step("metadata", "metadata server", True, f"{self.tokens.host} answers")

    def token(self) -> Step:
        try:
            claims = decode_claims(self.tokens())
        except GcpAwsError as error:
            return Step("token", "ID token", False, str(error), error.code, error.cause, error.fix)
        if claims.get("aud") != self.args.audience:
            return Step(
                "token",
                "ID token",
                False,
                describe(claims),
                "token-wrong-audience",
                f"token audience is {claims.get('aud')!r}",
                f"request audience {self.args.audience!r}",
            )
        if "azp" not in claims:
            return Step(
                "token",
                "ID token",
                False,
                describe(claims),
                "token-without-azp",
                "token without azp (not a service-account token)",
                "use the attached service account's metadata-server token",
            )
        return Step("token", "ID token", True, describe(claims))

    def sts(self) -> Step:
        exchange = WebIdentityExchange(
            self.args.role_arn,
            self.args.audience,
            self.args.session_name,
            region=self.args.region,
            token_source=self.tokens,
        )
        try:
            session = session_with_credentials(exchange.refreshable_credentials(), self.args.region)
            identity = session.client("sts").get_caller_identity()
        except GcpAwsError as error:
            return Step(
                "sts",
                "STS AssumeRoleWithWebIdentity",
                False,
                str(error).splitlines()[0],
                error.code,
                error.cause,
                error.fix,
            )
        except (ClientError, BotoCoreError) as error:
            code, message = _aws_error(error)
            return Step(
                "sts",
                "STS AssumeRoleWithWebIdentity",
                False,
                f"{code}: {message}",
                "sts-unreachable",
                "STS unreachable or refused",
                "check AWS_ENDPOINT_URL_STS / network egress to sts.<region>.amazonaws.com",
            )
        self._s3 = session.client("s3")
        return Step("sts", "STS AssumeRoleWithWebIdentity", True, f"caller {identity['Arn']}")

    def list_prefix(self) -> Step:
        try:
            listed = self._s3.list_objects_v2(Bucket=self.args.bucket, Prefix=self.args.prefix, MaxKeys=1)
        except (ClientError, BotoCoreError) as error:
            code, message = _aws_error(error)
            return Step(
                "list",
                "ListObjectsV2",
                False,
                f"{code}: {message}",
                _s3_code("list", error),
                f"the role has no s3:ListBucket on {self.args.bucket} for s3:prefix {self.args.prefix}*, or "
                "the bucket name is wrong",
                "check the grant's bucket and prefix (a typo, a missing trailing '/') in the stack config; "
                "gcp-aws-credentials explain request --action s3:ListBucket ... shows the deciding statement",
            )
        self._first_key = next((o["Key"] for o in listed.get("Contents", [])), None)
        return Step(
            "list",
            "ListObjectsV2",
            True,
            f"s3://{self.args.bucket}/{self.args.prefix} listed ({listed.get('KeyCount', 0)} key(s) in the first page)",
        )

    def write_read_probe(self) -> Step:
        """A header-less put (what multipart parts and most clients send), then get and delete; the
        object must come back SSE-KMS under the bucket's key, i.e. the bucket default is in place."""
        key = f"{self.args.prefix}.gcp-aws-doctor-{uuid.uuid4().hex}"
        try:
            self._s3.put_object(Bucket=self.args.bucket, Key=key, Body=b"probe")
            got = self._s3.get_object(Bucket=self.args.bucket, Key=key)
            body = got["Body"].read()
            self._s3.delete_object(Bucket=self.args.bucket, Key=key)
        except (ClientError, BotoCoreError) as error:
            code, message = _aws_error(error)
            return Step(
                "write-read",
                "SSE-KMS write and read",
                False,
                f"{code}: {message}",
                _s3_code("write-read", error),
                "the grant is read-only, the bucket policy refused a write without encryption headers, or the "
                "role may not use the bucket's KMS key through S3",
                "grant write on the prefix; an adopted bucket's policy must not deny writes without SSE headers; "
                "gcp-aws-credentials explain request --action s3:PutObject ... shows the deciding statement",
            )
        encryption, used_key = got.get("ServerSideEncryption"), got.get("SSEKMSKeyId")
        expected_key = self.args.kms_key_arn
        if encryption != "aws:kms" or (expected_key and used_key != expected_key):
            return Step(
                "write-read",
                "SSE-KMS write and read",
                False,
                f"s3://{self.args.bucket}/{key} was stored as {encryption or 'unencrypted'} with key {used_key}",
                "write-read-not-sse-kms",
                "the bucket's default encryption is not SSE-KMS with the expected key",
                "set the bucket's default encryption to SSE-KMS with the key's full ARN (bucket owner)",
            )
        if body != b"probe":
            return Step(
                "write-read",
                "SSE-KMS write and read",
                False,
                f"s3://{self.args.bucket}/{key} read back different bytes",
                "write-read-mismatch",
                "the object read back differs from the probe just written",
                "run doctor again; if it repeats, look for another writer on the prefix",
            )
        return Step(
            "write-read", "SSE-KMS write and read", True, f"s3://{self.args.bucket}/{key} round trip (KMS via S3)"
        )

    def read_existing(self) -> Step:
        if self._first_key is None:
            return Step("read", "KMS through S3", True, "skipped: no object to read and no --write-probe")
        try:
            self._s3.get_object(Bucket=self.args.bucket, Key=self._first_key, Range="bytes=0-0")["Body"].read()
        except (ClientError, BotoCoreError) as error:
            code, message = _aws_error(error)
            return Step(
                "read",
                "KMS through S3",
                False,
                f"{code}: {message}",
                _s3_code("read", error),
                "no kms:Decrypt on the bucket's key via S3",
                "grant read on the prefix (it includes kms:Decrypt with kms:ViaService)",
            )
        return Step("read", "KMS through S3", True, f"read s3://{self.args.bucket}/{self._first_key}")

    def service_account_iam(self) -> Step:
        """Bindings on this workload's service account beyond the declared ones (last: it never blocks
        the chain's diagnosis)."""
        name = "service account IAM"
        try:
            email, policy = read_own_policy(self.tokens.host)
        except PolicyUnreadableError as error:
            return Step("iam", name, True, f"not checked: {error}; check offline with `doctor --plan/--state`")
        extra = beyond_declared(policy, self.args.declared_iam_policy)
        if extra:
            return Step(
                "iam",
                name,
                False,
                f"{email} also grants {describe_bindings(extra)}",
                "iam-undeclared-bindings",
                "members beyond the declared ones can deploy as or mint tokens for this account, so they can "
                "assume its AWS role",
                "remove them, or declare them (gcp.deployers, the workload's token_creators) and `pulumi up`: "
                "the stack's policy on the account is authoritative",
            )
        return Step("iam", name, True, f"{email} holds only the declared bindings")


def offline_iam(state: StackState, workload: str) -> list[Step]:
    """The IAM step from a plan report or stack export instead of the live account."""
    findings = offline_findings(state, workload)
    if not findings:
        return [Step("iam", "service account IAM", True, f"{workload}: only the declared bindings ({state.source})")]
    return [
        Step(
            "iam",
            "service account IAM",
            False,
            "; ".join(findings),
            "iam-undeclared-bindings",
            f"the {state.source} lets members beyond the declared ones act as {workload}'s service account",
            "remove those grants, or declare the members (gcp.deployers, token_creators); after `pulumi refresh` "
            "an export shows what Google holds",
        )
    ]


def render(steps: list[Step]) -> str:
    lines = []
    for number, step in enumerate(steps, start=1):
        lines.append(f"[{'ok' if step.ok else 'FAIL'}] {number}. {step.name}: {step.detail}")
        if not step.ok:
            lines += [f"       code:  {step.code}", f"       cause: {step.cause}", f"       fix:   {step.fix}"]
    return "\n".join(lines)


def as_json(steps: list[Step]) -> dict[str, Any]:
    """`{"version", "ok", "failed_step", "code", "steps": [{"id", "name", "ok", "detail", "code", "cause", "fix"}]}`."""
    failed = next((step for step in steps if not step.ok), None)
    return {
        "version": JSON_VERSION,
        "ok": failed is None,
        "failed_step": failed.id if failed else None,
        "code": failed.code if failed else None,
        "steps": [asdict(step) for step in steps],
    }
