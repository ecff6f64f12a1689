"""Decide the checks of `s3_authz` against a stack's documents: S3 and KMS, request by request.

S3 (same account): allowed when the role's identity policies or the bucket policy allow and nothing
denies (IAM User Guide, "Policy evaluation logic"; S3 User Guide, "How Amazon S3 authorizes a request").
KMS: the key policy must allow; when it allows the account (`arn:aws:iam::<account>:root`) rather than
the role, an identity policy must allow too; any explicit deny wins (KMS Developer Guide, "Key policies",
"Allows access to the AWS account and enables IAM policies"). A key without a known policy (an adopted
key) is assumed to delegate to IAM; the AWS managed key `aws/s3` allows every principal of the account
through S3 (KMS Developer Guide, "AWS managed keys").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .evaluate import Decision, Request, as_list, evaluate, evaluate_statement
from .s3_authz import Caller, Check, HttpRequest, KeyLedger, checks

NamedPolicy = tuple[str, Mapping[str, Any]]
AWS_MANAGED_S3_KEY = "alias/aws/s3"


@dataclass(frozen=True)
class Documents:
    """The policies that decide a role's S3 requests. `key_policies` maps key ARN -> key policy; a key
    that is missing there has an unknown policy, assumed to delegate to IAM."""

    identity: Sequence[NamedPolicy]
    bucket_policies: Mapping[str, Sequence[NamedPolicy]] = field(default_factory=dict)
    key_policies: Mapping[str, NamedPolicy] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    check: Check
    allowed: bool
    reason: str

    def describe(self) -> str:
        verdict = "ALLOW" if self.allowed else "DENY"
        return f"{self.check.action} on {self.check.resource} -> {verdict}: {self.reason} [{self.check.why}]"


@dataclass(frozen=True)
class RequestResult:
    request: HttpRequest
    results: tuple[CheckResult, ...]

    @property
    def allowed(self) -> bool:
        return all(r.allowed for r in self.results)

    @property
    def denials(self) -> list[CheckResult]:
        return [r for r in self.results if not r.allowed]


def _reason(decision: Decision) -> str:
    if decision.allowed or decision.deciding is not None:
        return decision.reason
    misses = [
        f"{m.policy} {m.sid} ({'; '.join(c.describe() for c in m.failed_conditions)})" for m in decision.near_misses
    ]
    return decision.reason + (f"; near misses: {', '.join(misses)}" if misses else "")


def decide_s3(check: Check, caller: Caller, documents: Documents) -> CheckResult:
    bucket = check.resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    policies = [*documents.identity, *documents.bucket_policies.get(bucket, ())]
    decision = evaluate(policies, Request(check.action, check.resource, check.context, principal_arn=caller.role_arn))
    return CheckResult(check, decision.allowed, _reason(decision))


def _allows_role_directly(statement: Mapping[str, Any], role_arn: str) -> bool:
    principal = statement.get("Principal")
    names = as_list(principal.get("AWS")) if isinstance(principal, Mapping) else [principal]
    return any(name in ("*", role_arn) for name in names)


def decide_kms(check: Check, caller: Caller, documents: Documents) -> CheckResult:
    request = Request(check.action, check.resource, check.context, principal_arn=caller.role_arn)
    identity = evaluate(documents.identity, request)
    if check.resource == AWS_MANAGED_S3_KEY:
        if identity.deciding is not None and not identity.allowed:
            return CheckResult(check, False, _reason(identity))
        return CheckResult(check, True, "the AWS managed key aws/s3 allows the account's principals through S3")
    named = documents.key_policies.get(check.resource)
    if named is None:
        return CheckResult(
            check,
            identity.allowed,
            f"key policy unknown (adopted key), assumed to delegate to IAM: {_reason(identity)}",
        )
    name, key_policy = named
    key_request = Request(check.action, "*", check.context, principal_arn=caller.role_arn)
    by_key = evaluate([(name, key_policy)], key_request)
    if not by_key.allowed:
        return CheckResult(check, False, _reason(by_key))
    if identity.deciding is not None and not identity.allowed:
        return CheckResult(check, False, _reason(identity))
    direct = [
        statement
        for index, statement in enumerate(as_list(key_policy.get("Statement")))
        if isinstance(statement, Mapping)
        and statement.get("Effect") == "Allow"
        and evaluate_statement(name, index, statement, key_request).matched
        and _allows_role_directly(statement, caller.role_arn)
    ]
    if direct:
        return CheckResult(check, True, by_key.reason)
    if identity.allowed:
        return CheckResult(check, True, f"{by_key.reason} (to the account) and {identity.reason}")
    return CheckResult(check, False, f"{by_key.reason} delegates to IAM, but {_reason(identity)}")


def replay(
    requests: Iterable[HttpRequest], caller: Caller, documents: Documents, ledger: KeyLedger
) -> list[RequestResult]:
    """Every request of a flow with every check decided, in order (writes update the ledger)."""
    results = []
    for request in requests:
        decided = [
            (decide_s3 if check.service == "s3" else decide_kms)(check, caller, documents)
            for check in checks(request, caller, ledger)
        ]
        results.append(RequestResult(request, tuple(decided)))
    return results
