"""The rules, one module per area so that a rule is found where its resource is.

Each rule is a small check function plus its id, description, reason and fix; `RULES` is the whole
catalogue in id order.
"""

from __future__ import annotations

from ..model import Rule
from . import bucket, gcp, gcp_iam, identity, key, stack, trust

RULES: tuple[Rule, ...] = tuple(
    sorted(
        (*trust.RULES, *identity.RULES, *gcp.RULES, *gcp_iam.RULES, *bucket.RULES, *key.RULES, *stack.RULES),
        key=lambda rule: rule.id,
    )
)

__all__ = ["RULES"]
