"""`gcp-aws-credentials explain`: why a token or a request is refused, offline, from the policies.

Trust: AWS maps `accounts.google.com:aud` to the token's `azp` when present (else `aud`), `:oaud` to
`aud`, `:sub` to `sub`. Requests: the role's identity policies and the bucket policy decide S3; for
SSE-KMS the key policy (and, where it delegates to the account, the identity policies) decide KMS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .claims import describe, session_name_from_email
from .evaluate import Decision, Request, as_list, evaluate, wildcard

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


class PlanDocuments:
    """The documents of one workload and its buckets, read from a `make plan` JSON report."""

    def __init__(self, report: Mapping[str, Any], workload: str) -> None:
        outputs = report.get("outputs", {})
        try:
            self.role_arn = str(outputs["workloads"][workload]["role_arn"])
        except KeyError:
            raise ValueError(f"the plan has no workload {workload!r}") from None
        self.workload = workload
        self.region = str(outputs["workloads"][workload]["environment_variables"]["AWS_REGION"])
        self._resources = list(report.get("resources", []))
        self._buckets = outputs.get("buckets", {})
        role = self._one("aws:iam/role:Role", lambda inputs, name: name == workload)
        self.role_name = str(role["inputs"]["name"]) if role else ""
        self.trust = _parse(role["inputs"]["assumeRolePolicy"]) if role else {}

    def _one(self, typ: str, test: Any) -> dict[str, Any] | None:
        return next((r for r in self._resources if r["type"] == typ and test(r["inputs"], r["name"])), None)

    def identity_policies(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (f"identity policy {r['inputs'].get('name')!r}", _parse(r["inputs"]["policy"]))
            for r in self._resources
            if r["type"] == "aws:iam/rolePolicy:RolePolicy" and r["inputs"].get("role") == self.role_name
        ]

    def bucket_policy(self, bucket: str) -> list[tuple[str, dict[str, Any]]]:
        found = self._one("aws:s3/bucketPolicy:BucketPolicy", lambda inputs, _: inputs.get("bucket") == bucket)
        return [(f"bucket policy of {bucket}", _parse(found["inputs"]["policy"]))] if found else []

    def bucket_key(self, bucket: str) -> tuple[str | None, dict[str, Any] | None]:
        key_arn = self._buckets.get(bucket, {}).get("kms_key_arn")
        key = self._one("aws:kms/key:Key", lambda _, name: name == f"{bucket}-key")
        return key_arn, _parse(key["inputs"]["policy"]) if key else None


def _parse(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


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
        bucket_key, key_policy = plan.bucket_key(request.bucket)
        key_arn = request.sse_kms_key_id or bucket_key or "*"
        kms_context = {
            "kms:viaservice": [f"s3.{plan.region}.amazonaws.com"],
            "kms:calleraccount": [plan.role_arn.split(":")[4]],
            "aws:principalarn": [plan.role_arn],
            # S3 Bucket Keys (on for created buckets): the encryption context is the bucket ARN
            "kms:encryptioncontext:aws:s3:arn": [f"arn:aws:s3:::{request.bucket}"],
        }
        kms_request = Request(kms_action, key_arn, kms_context, principal_arn=plan.role_arn)
        by_identity = evaluate(identity, kms_request)
        lines += _render(by_identity, f"KMS {kms_action} on {key_arn} (identity policy)")
        allowed = by_identity.allowed
        if key_policy is not None and key_arn == bucket_key:
            by_key = evaluate(
                [("key policy", key_policy)], Request(kms_action, "*", kms_context, principal_arn=plan.role_arn)
            )
            lines += _render(by_key, "KMS (key policy)")
            allowed = allowed and by_key.allowed
        elif key_policy is None:
            lines.append(
                "  key policy not in the plan (adopted key): assumed to delegate to the account's IAM policies"
            )
    if not plan.bucket_policy(request.bucket):
        lines.append(
            f"  no bucket policy of ours on {request.bucket} (adopted bucket): its owner must keep default "
            "encryption SSE-KMS with the key's full ARN and no deny that a write without SSE headers meets "
            "(README, 'Adopted buckets'); check with `doctor --write-probe`"
        )
    lines.append(f"Verdict: {'ALLOW' if allowed else 'DENY'}")
    return Explanation(allowed, lines)
