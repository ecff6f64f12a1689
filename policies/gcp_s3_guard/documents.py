"""Reading IAM-style policy documents the way they reach a policy pack.

A document arrives as a JSON string or an object; `Statement`, `Action`, `Resource` and principals
may each be a single value or a list; condition operators carry optional `ForAllValues:` /
`ForAnyValue:` qualifiers and `IfExists` suffixes. This module normalises all of that. It shares
nothing with the components it judges.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GOOGLE = "accounts.google.com"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
EXACT_OPERATORS = frozenset({"StringEquals"})


class UnreadableDocumentError(ValueError):
    """The value is not a JSON policy document."""


def is_sequence(value: Any) -> bool:
    """Lists, tuples and the policy SDK's list proxies; never strings."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if is_sequence(value) else [value]


def parse(value: Any) -> dict[str, Any] | None:
    """The document as a dict; None when absent. Raises UnreadableDocumentError on junk."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        try:
            document = json.loads(value)
        except json.JSONDecodeError as error:
            raise UnreadableDocumentError(f"not valid JSON ({error.msg})") from None
        if isinstance(document, dict):
            return document
    raise UnreadableDocumentError("not a JSON object")


@dataclass(frozen=True)
class Condition:
    """One `operator: {key: values}` entry, with its qualifier and IfExists split out."""

    operator: str  # as written, e.g. "ForAllValues:StringLikeIfExists"
    base: str  # e.g. "StringLike"
    qualifier: str  # "", "ForAllValues" or "ForAnyValue"
    if_exists: bool
    key: str
    values: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return self.base in EXACT_OPERATORS and not self.qualifier and not self.if_exists


@dataclass(frozen=True)
class Statement:
    raw: Mapping[str, Any]
    index: int

    @property
    def label(self) -> str:
        sid = self.raw.get("Sid")
        return f"statement {sid!r}" if sid else f"statement #{self.index}"

    @property
    def effect(self) -> str:
        return str(self.raw.get("Effect", ""))

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"

    @property
    def actions(self) -> list[str]:
        return [str(a) for a in as_list(self.raw.get("Action"))]

    @property
    def not_actions(self) -> list[str]:
        return [str(a) for a in as_list(self.raw.get("NotAction"))]

    @property
    def resources(self) -> list[str]:
        return [str(r) for r in as_list(self.raw.get("Resource"))]

    def principals(self, kind: str) -> list[str]:
        principal = self.raw.get("Principal")
        if principal == "*":
            return ["*"]
        if isinstance(principal, Mapping):
            return [str(p) for p in as_list(principal.get(kind))]
        return []

    @property
    def any_principal(self) -> bool:
        principal = self.raw.get("Principal")
        return principal == "*" or (
            isinstance(principal, Mapping) and any("*" in as_list(v) for v in principal.values())
        )

    @property
    def conditions(self) -> list[Condition]:
        found = []
        block = self.raw.get("Condition") or {}
        if not isinstance(block, Mapping):
            return []
        for operator, entries in block.items():
            qualifier, _, rest = str(operator).rpartition(":")
            if_exists = rest.endswith("IfExists")
            base = rest.removesuffix("IfExists")
            if not isinstance(entries, Mapping):
                continue
            for key, values in entries.items():
                found.append(
                    Condition(
                        str(operator), base, qualifier, if_exists, str(key), tuple(str(v) for v in as_list(values))
                    )
                )
        return found

    def conditions_on(self, key: str) -> list[Condition]:
        return [c for c in self.conditions if c.key.lower() == key.lower()]

    def grants(self, action: str) -> bool:
        """Whether the statement's Action (or NotAction) covers `action`, wildcards included."""
        if self.not_actions:
            return not any(action_matches(p, action) for p in self.not_actions)
        return any(action_matches(p, action) for p in self.actions)


def statements(document: Mapping[str, Any]) -> Iterator[Statement]:
    for index, raw in enumerate(as_list(document.get("Statement"))):
        if isinstance(raw, Mapping):
            yield Statement(raw, index)


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` wildcards."""
    return wildcard_match(pattern.lower(), action.lower())


def wildcard_match(pattern: str, value: str) -> bool:
    """`*` matches any run of characters, `?` exactly one (iterative, no regex)."""
    p = v = 0
    star, mark = -1, 0
    while v < len(value):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == value[v]):
            p, v = p + 1, v + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark, p = p, v, p + 1
        elif star != -1:
            p, mark = star + 1, mark + 1
            v = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def is_google_federation(statement: Statement) -> bool:
    """Federated principal `accounts.google.com` or an IAM OIDC provider for it."""
    return any(p == GOOGLE or p.endswith(f":oidc-provider/{GOOGLE}") for p in statement.principals("Federated"))
