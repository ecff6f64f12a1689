"""A faithful model of the subset of IAM policy evaluation that federation policies use.

Covered: Effect; Action/NotAction and Resource/NotResource with `*`/`?` wildcards; Principal and
NotPrincipal (`*`, AWS account root or ARN, Federated, Service); condition operators String*, Arn*, Bool,
Null, Date*, Numeric*, with `IfExists` and the `ForAnyValue:`/`ForAllValues:` qualifiers; several keys in a
block (AND), several values (OR); an explicit Deny beats any Allow. Anything else (policy variables, other
operators) raises ValueError instead of being silently mis-evaluated. Not covered: SCPs, permission
boundaries, session policies, cross-account rules, ACLs.

Absent keys follow the IAM User Guide, "Condition operators" and "Multivalued context keys": a key missing
from the request makes a condition false, except that negated operators (`StringNotEquals`, `ArnNotLike`,
...) are then true, `...IfExists` is then true, `Null: true` is then true, `ForAllValues:` is then true
and `ForAnyValue:` false. Policy evaluation: IAM User Guide, "Policy evaluation logic".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

Context = Mapping[str, Sequence[str]]  # condition key (lower-case) -> request values; absent = missing

_OPERATORS = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "ArnEquals",
    "ArnNotEquals",
    "ArnLike",
    "ArnNotLike",
    "Bool",
    "Null",
    *(
        f"{kind}{relation}"
        for kind in ("Numeric", "Date")
        for relation in ("Equals", "NotEquals", "LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals")
    ),
}
_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NumericNotEquals",
    "DateNotEquals",
}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return _pattern(pattern).fullmatch(value) is not None


def _arn_like(pattern: str, value: str) -> bool:
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    return len(pattern_parts) == len(value_parts) == 6 and all(
        wildcard(p, v) for p, v in zip(pattern_parts, value_parts, strict=True)
    )


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _compare(base: str, policy_value: str, request_value: str) -> bool:
    """Whether one request value satisfies one policy value under the (non-negated) operator."""
    positive = base.replace("Not", "", 1) if base in _NEGATED else base
    if positive == "StringEquals":
        return policy_value == request_value
    if positive == "StringEqualsIgnoreCase":
        return policy_value.lower() == request_value.lower()
    if positive == "StringLike":
        return wildcard(policy_value, request_value)
    if positive in ("ArnEquals", "ArnLike"):
        return _arn_like(policy_value, request_value)
    if positive == "Bool":
        return policy_value.lower() == request_value.lower()
    if positive.startswith(("Numeric", "Date")):
        numeric = positive.startswith("Numeric")
        a, b = (
            (float(request_value), float(policy_value))
            if numeric
            else (_date(request_value).timestamp(), _date(policy_value).timestamp())
        )
        relation = positive.removeprefix("Numeric" if numeric else "Date")
        return {
            "Equals": a == b,
            "LessThan": a < b,
            "LessThanEquals": a <= b,
            "GreaterThan": a > b,
            "GreaterThanEquals": a >= b,
        }[relation]
    raise ValueError(f"condition operator {base!r} is outside the modelled subset")


@dataclass(frozen=True)
class ConditionResult:
    operator: str
    key: str
    expected: tuple[str, ...]
    actual: tuple[str, ...] | None  # None: the key is missing from the request
    matched: bool

    def describe(self) -> str:
        actual = "<missing>" if self.actual is None else ", ".join(self.actual) or "<empty>"
        verdict = "matches" if self.matched else "does NOT match"
        return f"{self.operator} {self.key}: expected {', '.join(self.expected)} | actual {actual} -> {verdict}"


def evaluate_condition(operator: str, key: str, expected: Sequence[str], context: Context) -> ConditionResult:
    qualifier, _, rest = operator.rpartition(":")
    if_exists = rest.endswith("IfExists")
    base = rest.removesuffix("IfExists")
    if base not in _OPERATORS or qualifier not in ("", "ForAllValues", "ForAnyValue") or (base == "Null" and if_exists):
        raise ValueError(f"condition operator {operator!r} is outside the modelled subset")
    values = tuple(str(v) for v in expected)
    if any("${" in v for v in values):
        raise ValueError(f"policy variables are not modelled ({key}: {', '.join(values)})")
    actual = context.get(key.lower())
    if base == "Null":
        missing = actual is None or len(actual) == 0
        return ConditionResult(
            operator, key, values, None if actual is None else tuple(actual), (values[0].lower() == "true") == missing
        )
    if actual is None:
        if qualifier == "ForAllValues":
            matched = True
        elif qualifier == "ForAnyValue":
            matched = False
        else:
            matched = if_exists or base in _NEGATED
        return ConditionResult(operator, key, values, None, matched)

    def one(request_value: str) -> bool:
        hit = any(_compare(base, v, request_value) for v in values)
        return not hit if base in _NEGATED else hit

    combine = all if qualifier == "ForAllValues" else any  # ForAnyValue, or a single-valued key: any
    return ConditionResult(operator, key, values, tuple(actual), combine(one(v) for v in actual))


@dataclass(frozen=True)
class StatementResult:
    policy: str
    sid: str
    effect: str
    applies: bool  # principal, action and resource match
    conditions: tuple[ConditionResult, ...]

    @property
    def matched(self) -> bool:
        return self.applies and all(c.matched for c in self.conditions)

    @property
    def failed_conditions(self) -> list[ConditionResult]:
        return [c for c in self.conditions if not c.matched]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Context
    principal_arn: str | None = None
    federated: str | None = None  # e.g. "accounts.google.com" for AssumeRoleWithWebIdentity
    service: str | None = None  # a service principal, e.g. "cloudtrail.amazonaws.com"


def _principal_matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotPrincipal" in statement:
        return not _names_principal(statement["NotPrincipal"], request)
    principal = statement.get("Principal")
    if principal is None:
        return True  # identity policy: the principal is the attached identity
    return _names_principal(principal, request)


def _names_principal(principal: Any, request: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if request.service is not None:
        return request.service in as_list(principal.get("Service"))
    if request.federated is not None:
        return any(
            p == request.federated or p.endswith(f":oidc-provider/{request.federated}")
            for p in as_list(principal.get("Federated"))
        )
    for entry in as_list(principal.get("AWS")):
        arn = str(entry)
        if arn == "*" or (request.principal_arn and (arn == request.principal_arn or _same_account_root(arn, request))):
            return True
    return False


def _same_account_root(arn: str, request: Request) -> bool:
    account = (request.principal_arn or "").split(":")[4] if request.principal_arn else ""
    return arn in (f"arn:aws:iam::{account}:root", account)


def evaluate_statement(policy: str, index: int, statement: Mapping[str, Any], request: Request) -> StatementResult:
    actions, not_actions = as_list(statement.get("Action")), as_list(statement.get("NotAction"))
    resources, not_resources = as_list(statement.get("Resource")), as_list(statement.get("NotResource"))
    if any("${" in str(r) for r in (*resources, *not_resources)):
        raise ValueError(f"policy variables are not modelled (statement {statement.get('Sid') or index})")
    action_ok = (
        (not any(wildcard(str(a), request.action, True) for a in not_actions))
        if not_actions
        else any(wildcard(str(a), request.action, True) for a in actions)
    )
    resource_ok = True
    if resources or not_resources:
        resource_ok = (
            (not any(wildcard(str(r), request.resource) for r in not_resources))
            if not_resources
            else any(wildcard(str(r), request.resource) for r in resources)
        )
    applies = action_ok and resource_ok and _principal_matches(statement, request)
    conditions: list[ConditionResult] = []
    block = statement.get("Condition") or {}
    for operator, entries in block.items():
        for key, expected in dict(entries).items():
            conditions.append(
                evaluate_condition(str(operator), str(key), [str(v) for v in as_list(expected)], request.context)
            )
    return StatementResult(
        policy, str(statement.get("Sid") or f"#{index}"), str(statement.get("Effect")), applies, tuple(conditions)
    )


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    deciding: StatementResult | None
    considered: list[StatementResult] = field(default_factory=list)

    @property
    def near_misses(self) -> list[StatementResult]:
        """Allow statements that applied but whose conditions failed: where the fix usually is."""
        return [s for s in self.considered if s.effect == "Allow" and s.applies and not s.matched]


def evaluate(policies: Iterable[tuple[str, Mapping[str, Any]]], request: Request) -> Decision:
    """Explicit deny, else allow, else implicit deny, over every statement of every policy."""
    considered = [
        evaluate_statement(name, index, statement, request)
        for name, document in policies
        for index, statement in enumerate(as_list(document.get("Statement")))
        if isinstance(statement, Mapping)
    ]
    for result in considered:
        if result.matched and result.effect == "Deny":
            return Decision(False, f"explicitly denied by {result.policy} statement {result.sid}", result, considered)
    for result in considered:
        if result.matched and result.effect == "Allow":
            return Decision(True, f"allowed by {result.policy} statement {result.sid}", result, considered)
    return Decision(False, "implicitly denied: no statement allows it", None, considered)
