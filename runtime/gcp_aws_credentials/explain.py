"""`gcp-aws-credentials explain`: why a token or a request is refused, offline, from the policies.

Trust: AWS maps `accounts.google.com:aud` to the token's `azp` when present (else `aud`), `:oaud` to
`aud`, `:sub` to `sub`. Requests: the role's identity policies and the bucket policy decide S3; for
SSE-KMS the key policy (and, where it delegates to the account, the identity policies) decide KMS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from .authorize import AWS_MANAGED_S3_KEY
from .claims import describe, session_name_from_email
from .environment import REGION
from .evaluate import Decision, Request, as_list, evaluate, wildcard
from .s3_authz import BucketEncryption
from .state import StackState, StateError, policy_document

GOOGLE = "accounts.google.com"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


@dataclass
class Explanation:
    allowed: bool
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines)


def trust_context(claims: Mapping[str, Any], session_name: str | None) -> dict[str, list[str]]:
    context: dict[str, list[str]] = {}
    if "aud" in claims:
        context[f"{GOOGLE}:oaud"] = [str(claims["aud"])]
    azp_or_aud = claims.get("azp", claims.get("aud"))
    if azp_or_aud is not None:
        context[f"{GOOGLE}:aud"] = [str(azp_or_aud)]
    if "sub" in claims:
        context[f"{GOOGLE}:sub"] = [str(claims["sub"])]
    if session_name:
        context["sts:rolesessionname"] = [session_name]
    return context


def _fix_for(key: str, expected: tuple[str, ...], actual: tuple[str, ...] | None, claims: Mapping[str, Any]) -> str:
    key = key.lower()
    got = actual[0] if actual else "<missing>"
    if key == f"{GOOGLE}:oaud":
        return f"this token was minted for audience {got!r}; request audience {expected[0]!r}"
    if key in (f"{GOOGLE}:aud", f"{GOOGLE}:sub"):
        if key.endswith(":aud") and "azp" not in claims:
            return "this is a user token without azp; use the workload's service-account token from the metadata server"
        return f"the role trusts service account {expected[0]}, this token is service account {got}"
    if key == "sts:rolesessionname":
        return f"request role session name {expected[0]!r} (this request uses {got!r})"
    return f"make {key} equal {', '.join(expected)}"


def _render(decision: Decision, title: str) -> list[str]:
    lines = [f"{title}: {'ALLOW' if decision.allowed else 'DENY'} ({decision.reason})"]
    if decision.deciding is not None:
        lines += [f"    {c.describe()}" for c in decision.deciding.conditions]
    for miss in [] if decision.allowed else decision.near_misses:
        lines.append(f"  {miss.policy} statement {miss.sid} applies but its conditions fail:")
        lines += [f"    {c.describe()}" for c in miss.conditions]
    return lines


def explain_trust(trust: Mapping[str, Any], claims: Mapping[str, Any], session_name: str | None = None) -> Explanation:
    if session_name is None and str(claims.get("email", "")).endswith(".iam.gserviceaccount.com"):
        session_name = session_name_from_email(str(claims["email"]))
    request = Request(WEB_IDENTITY, "*", trust_context(claims, session_name), federated=GOOGLE)
    decision = evaluate([("trust policy", trust)], request)
    lines = [f"Token claims: {describe(dict(claims))}", f"Role session name: {session_name or '<none>'}"]
    lines += _render(decision, "AssumeRoleWithWebIdentity")
    if not decision.allowed:
        fixes = [
            _fix_for(c.key, c.expected, c.actual, claims) for m in decision.near_misses for c in m.failed_conditions
        ]
        if not decision.near_misses and decision.deciding is None:
            fixes.append(f"no Allow statement trusts {GOOGLE} for {WEB_IDENTITY}: deploy the role's trust")
        lines += [f"Fix: {fix}" for fix in dict.fromkeys(fixes)]
    return Explanation(decision.allowed, lines)


@dataclass(frozen=True)
class S3Request:
    action: str
    bucket: str
    key: str | None = None  # object key, or the list prefix for s3:ListBucket
    sse: str | None = None
    sse_kms_key_id: str | None = None
    tls: bool = True
    issued_at: datetime | None = None


ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
KMS_KEY = "aws:kms/key:Key"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"


class PlanDocuments:
    """The documents of one workload and its buckets, from a `make plan` report or a stack export.

    The workload is found by name (its FederatedWorkload component, else its role's resource name)
    or by its role ARN; ARNs, unique ids and key ARNs are the state's own values (real ids when the
    state is a deployed stack's export).
    """

    def __init__(self, state: StackState | Mapping[str, Any], workload: str) -> None:
        self.state = StackState.from_json(state)
        role = next(
            (r for r in self.state.of_type(ROLE) if workload in (self.state.workload_of(r), r.value("arn"))),
            None,
        )
        if role is None:
            known = sorted(self.state.workload_of(r) for r in self.state.of_type(ROLE))
            raise StateError(
                f"the {self.state.source} has no workload {workload!r} (known: {', '.join(known) or 'none'})"
            )
        self.role = role
        self.workload = self.state.workload_of(role)
        self.role_name = str(role.value("name") or role.name)
        self.role_arn = str(role.value("arn") or self._output_role_arn())
        self.trust = policy_document(role.value("assumeRolePolicy"), f"trust policy of {self.role_name}")

    def _output_role_arn(self) -> str:
        try:
            return str(self.state.outputs["workloads"][self.workload]["role_arn"])
        except (KeyError, TypeError):
            raise StateError(f"the role ARN of {self.workload!r} is not in the {self.state.source}") from None

    def identity_policies(self) -> list[tuple[str, dict[str, Any]]]:
        return list(self._identity_policies)

    @cached_property
    def _identity_policies(self) -> tuple[tuple[str, dict[str, Any]], ...]:
        return tuple(
            (f"identity policy {r.value('name')!r}", policy_document(r.value("policy"), f"policy {r.name}"))
            for r in self.state.of_type(ROLE_POLICY)
            if r.value("role") in (self.role_name, self.role_arn)
        )

    def bucket_policy(self, bucket: str) -> list[tuple[str, dict[str, Any]]]:
        document = bucket_policy_document(self.state, bucket)
        return [(f"bucket policy of {bucket}", document)] if document is not None else []

    def bucket_key(self, bucket: str) -> tuple[str | None, dict[str, Any] | None]:
        return bucket_key(self.state, bucket)

    @property
    def region(self) -> str:
        """The AWS region of the workload's buckets (from a key ARN), for kms:ViaService."""
        for _, document in self.identity_policies():
            for statement in as_list(document.get("Statement")):
                for resource in as_list(statement.get("Resource")):
                    if str(resource).startswith("arn:aws:kms:"):
                        return str(resource).split(":")[3]
        environment = (self.state.outputs.get("workloads") or {}).get(self.workload, {}).get("environment_variables")
        if not (environment or {}).get(REGION):
            raise StateError(f"the AWS region of {self.workload!r} is not in the {self.state.source}")
        return str(environment[REGION])


def bucket_policy_document(state: StackState, bucket: str) -> dict[str, Any] | None:
    found = state.find(BUCKET_POLICY, lambda r: r.value("bucket") == bucket)
    return policy_document(found.value("policy"), f"bucket policy of {bucket}") if found else None


def bucket_encryption(state: StackState, bucket: str) -> BucketEncryption:
    """The bucket's default encryption, from its SSE configuration resource. An adopted bucket (no such
    resource in the stack) is taken to have the default its owner must set: SSE-KMS with the configured
    key, Bucket Keys on (README, "Adopted buckets")."""
    for config in state.of_type(*BUCKET_ENCRYPTION):
        if config.value("bucket") == bucket:
            for rule in config.value("rules") or []:
                default = rule.get("applyServerSideEncryptionByDefault") or {}
                if default.get("sseAlgorithm") != "aws:kms":
                    return BucketEncryption(None, False)
                key_arn = default.get("kmsMasterKeyId") or AWS_MANAGED_S3_KEY
                return BucketEncryption(str(key_arn), bool(rule.get("bucketKeyEnabled")))
    configured = (state.outputs.get("buckets") or {}).get(bucket, {}).get("kms_key_arn")
    return BucketEncryption(str(configured), True) if configured else BucketEncryption(None, False)


def bucket_key(state: StackState, bucket: str) -> tuple[str | None, dict[str, Any] | None]:
    """The bucket's default-encryption key ARN and, when the stack manages the key, its policy."""
    key_arn = bucket_encryption(state, bucket).key_arn
    if key_arn is None:
        return None, None
    key = state.find(KMS_KEY, lambda r: key_arn in (r.value("arn"), r.value("keyId")))
    if key is None:  # plan reports written before they recorded outputs: SecureBucket names it <bucket>-key
        key = state.find(KMS_KEY, lambda r: not r.outputs and r.name == f"{bucket}-key")
    if key is None:
        return key_arn, None
    policy = state.find(KMS_KEY_POLICY, lambda r: r.value("keyId") in (key.value("arn"), key.value("keyId")))
    document = (policy or key).value("policy")
    return key_arn, policy_document(document, f"key policy of {key_arn}") if document else None


def _s3_context(plan: PlanDocuments, request: S3Request) -> tuple[str, dict[str, list[str]]]:
    account = plan.role_arn.split(":")[4]
    issued = (request.issued_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    context: dict[str, list[str]] = {
        "aws:securetransport": ["true" if request.tls else "false"],
        "aws:principalarn": [plan.role_arn],
        "aws:principalaccount": [account],
        "aws:tokenissuetime": [issued],
    }
    if request.action.lower() == "s3:listbucket":
        resource = f"arn:aws:s3:::{request.bucket}"
        if request.key is not None:
            context["s3:prefix"] = [request.key]
    else:
        resource = f"arn:aws:s3:::{request.bucket}/{request.key or ''}"
    if request.sse is not None:
        context["s3:x-amz-server-side-encryption"] = [request.sse]
    if request.sse_kms_key_id is not None:
        context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = [request.sse_kms_key_id]
    return resource, context


def explain_request(plan: PlanDocuments, request: S3Request) -> Explanation:
    resource, context = _s3_context(plan, request)
    principal = Request(request.action, resource, context, principal_arn=plan.role_arn)
    identity = plan.identity_policies()
    s3 = evaluate([*identity, *plan.bucket_policy(request.bucket)], principal)
    lines = [f"Request: {request.action} on {resource} as {plan.role_arn}"]
    lines += _render(s3, "S3")
    if s3.deciding is None:
        granted = [
            r
            for _, document in identity
            for statement in document.get("Statement", [])
            if any(wildcard(str(a), request.action, True) for a in as_list(statement.get("Action")))
            for r in as_list(statement.get("Resource"))
        ]
        lines.append(f"  the role's grants for {request.action} cover: {', '.join(granted) or 'nothing'}")
    allowed = s3.allowed
    kms_action = {"s3:putobject": "kms:GenerateDataKey", "s3:getobject": "kms:Decrypt"}.get(request.action.lower())
    # a put without an SSE header is encrypted by the bucket default (SSE-KMS with the bucket's key)
    encrypted_put = request.action.lower() == "s3:putobject" and request.sse in (None, "aws:kms")
    if allowed and kms_action and (encrypted_put or request.action.lower() == "s3:getobject"):
        kms = explain_kms(plan, request.bucket, kms_action, request.sse_kms_key_id)
        lines += kms.lines
        allowed = kms.allowed
    if not plan.bucket_policy(request.bucket):
        lines.append(
            f"  no bucket policy of ours on {request.bucket} (adopted bucket): its owner must keep default "
            "encryption SSE-KMS with the key's full ARN and no deny that a write without SSE headers meets "
            "(README, 'Adopted buckets'); check with `doctor --write-probe`"
        )
    lines.append(f"Verdict: {'ALLOW' if allowed else 'DENY'}")
    return Explanation(allowed, lines)


def explain_kms(plan: PlanDocuments, bucket: str, kms_action: str, key_arn: str | None = None) -> Explanation:
    """The KMS call S3 makes for the role on `key_arn` (default: the bucket's key): identity policies
    and, for the bucket's own key, its key policy must both allow it."""
    bucket_key, key_policy = plan.bucket_key(bucket)
    key_arn = key_arn or bucket_key or "*"
    kms_context = {
        "kms:viaservice": [f"s3.{plan.region}.amazonaws.com"],
        "kms:calleraccount": [plan.role_arn.split(":")[4]],
        "aws:principalarn": [plan.role_arn],
        # S3 Bucket Keys (on for created buckets): the encryption context is the bucket ARN
        "kms:encryptioncontext:aws:s3:arn": [f"arn:aws:s3:::{bucket}"],
    }
    by_identity = evaluate(
        plan.identity_policies(), Request(kms_action, key_arn, kms_context, principal_arn=plan.role_arn)
    )
    lines = _render(by_identity, f"KMS {kms_action} on {key_arn} (identity policy)")
    allowed = by_identity.allowed
    if key_policy is not None and key_arn == bucket_key:
        by_key = evaluate(
            [("key policy", key_policy)], Request(kms_action, "*", kms_context, principal_arn=plan.role_arn)
        )
        lines += _render(by_key, "KMS (key policy)")
        allowed = allowed and by_key.allowed
    elif key_policy is None:
        lines.append("  key policy not in the plan (adopted key): assumed to delegate to the account's IAM policies")
    return Explanation(allowed, lines)
