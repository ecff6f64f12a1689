"""KMS keys and key policies (GSF020-GSF021)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..documents import statements
from ..model import Resource, Rule
from .common import KMS_KEY, KMS_KEY_POLICY, read_document


def check_kms_rotation(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    spec = resource.props.get("customerMasterKeySpec") or resource.props.get("keySpec") or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT" and resource.props.get("enableKeyRotation") is not True:
        reason = str(config.get("advisoryReason") or "").strip()
        yield "enableKeyRotation is not true" + (f" (accepted as advisory: {reason})" if reason else "")


def check_key_policy_principal(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    document, problems = read_document(resource.props.get("policy"), "key policy")
    yield from problems
    for statement in statements(document or {}):
        if statement.allows and statement.any_principal and not statement.conditions:
            yield f"{statement.label} allows principal '*' without a condition"


RULES: tuple[Rule, ...] = (
    Rule(
        "GSF020",
        "kms-key-rotation",
        "Symmetric KMS keys rotate automatically.",
        "Rotation limits how much data one key version protects (KMS best practices; CIS AWS Foundations 3.8 "
        "and cdk-nag KMS5 treat a missing rotation as an error; Trivy AVD-AWS-0065).",
        "Set enableKeyRotation: true. To accept a key without rotation, set this policy's enforcementLevel to "
        "advisory with an advisoryReason; the reason is repeated in every report.",
        "mandatory",
        frozenset({KMS_KEY}),
        check_kms_rotation,
        config={"advisoryReason": ""},
        config_schema={"advisoryReason": {"type": "string"}},
    ),
    Rule(
        "GSF021",
        "kms-key-policy-no-open-principal",
        "Key policies allow no unconditioned '*' principal.",
        "A key policy is the key's root of trust; '*' without conditions lets any principal use the key.",
        "Name the account root or roles, or add conditions such as kms:ViaService and aws:PrincipalArn.",
        "mandatory",
        frozenset({KMS_KEY, KMS_KEY_POLICY}),
        check_key_policy_principal,
    ),
)
