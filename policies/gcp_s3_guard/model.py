"""What a rule is, and what it is given."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["mandatory", "advisory"]


@dataclass(frozen=True)
class Resource:
    """A resource as the engine shows it: type token, URN, name and camelCase properties."""

    type: str
    urn: str
    name: str
    props: Mapping[str, Any]


ResourceCheck = Callable[[Resource, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[[Sequence[Resource], Mapping[str, Any]], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Rule:
    """One policy: a stable id, what it checks, why it matters, how to fix it.

    A resource rule's `check` yields one message per problem; a stack rule's `stack_check` yields
    `(urn, message)` pairs. `config` holds the defaults of the rule's settings, `config_schema` their
    JSON schema (as `--policy-pack-config` takes them).
    """

    id: str
    slug: str
    description: str
    why: str
    fix: str
    level: Level
    types: frozenset[str] = frozenset()
    check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    config_schema: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The policy name in the pack (what `--policy-pack-config` keys on)."""
        return f"{self.id.lower()}-{self.slug}"

    def settings(self, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults, overridden by the pack config (the CLI may or may not fill schema defaults)."""
        return {**self.config, **{k: v for k, v in (overrides or {}).items() if k in self.config}}

    def applies_to(self, type_token: str) -> bool:
        return not self.types or type_token in self.types
