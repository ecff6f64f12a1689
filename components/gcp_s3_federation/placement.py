"""Where a component's resources sit in the resource tree, and the URN each had before it moved.

The engine names a child `urn:pulumi:<stack>::<project>::<parent's type chain>$<type>::<name>`
(pulumi/pkg/resource/deploy `generateURN`; the root stack adds no type), so moving a resource to
another parent changes its URN, and `pulumi up` would replace it unless it carries an alias to the old
one. The alias is a plain URN string whenever the old parent's URN is known while declaring: an
`Alias` spec costs the Python SDK several Outputs per resource (`collapse_alias_to_urn`).
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

ChildOptions = Callable[[type[pulumi.Resource], str], pulumi.ResourceOptions]
"""The options for a child resource, given its class and its name."""


def children_of(parent: pulumi.Resource) -> ChildOptions:
    """Children of `parent`, where they have always been."""
    options = pulumi.ResourceOptions(parent=parent)
    return lambda _cls, _name: options


def moved_out_of(
    parent: pulumi.Resource, parent_urn: pulumi.Output[str] | str, component_type: str, component_name: str
) -> ChildOptions:
    """Children of `parent` (whose URN is `parent_urn`) that used to sit in a `component_type` component
    named `component_name` under it: each is aliased to its URN there."""

    def former(cls: type[pulumi.Resource], name: str) -> pulumi.Input[str]:
        suffix = f"${component_type}${cls.pulumi_type}::{name}"  # type: ignore[attr-defined]
        if isinstance(parent_urn, str):
            return parent_urn.rsplit("::", 1)[0] + suffix
        return parent_urn.apply(lambda urn: urn.rsplit("::", 1)[0] + suffix)

    return lambda cls, name: pulumi.ResourceOptions(parent=parent, aliases=[former(cls, name)])


def root_child_urn(type_: str, name: str) -> str:
    """The URN of a resource whose parent is the root stack."""
    return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"
