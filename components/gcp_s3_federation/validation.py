"""The component door of the schema: every public component checks its arguments with the rules in
`fields.py` before it registers anything.

A plain value is checked at once. A `pulumi.Output` is checked when it resolves: the component uses the
checked output, so a bad value fails the deployment instead of reaching a document (never widened).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import pulumi

Rule = Callable[[Any], Any]
Args = TypeVar("Args", bound=Mapping[str, Any])


class ArgumentError(ValueError):
    """A component argument broke a field rule: names the component, the argument and the rule."""

    def __init__(self, component: str, field: str, value: Any, rule: str) -> None:
        self.component, self.field, self.value, self.rule = component, field, value, rule
        super().__init__(f"{component}({field}={value!r}): {field} {rule}")


def validate_args(component: str, args: Args, rules: Mapping[str, Rule]) -> Args:
    """Check each argument named in `rules` that is present and return the arguments to use.

    Keys are argument paths: `grants[].prefix` is the prefix of every grant, `cloud_run.image` a nested
    key. The first broken rule raises `ArgumentError`.
    """
    checked: Any = dict(args)
    for path, rule in rules.items():
        checked = _check_path(component, checked, _parts(path), rule, "")
    return cast(Args, checked)


def _parts(path: str) -> list[str]:
    return path.replace("[]", ".[]").split(".")


def _check_path(component: str, value: Any, parts: list[str], rule: Rule, where: str) -> Any:
    if not parts:
        return _check_value(component, value, rule, where)
    head, rest = parts[0], parts[1:]
    if _is_pending(value):
        return value  # a container only known later; its items are not checked (see the README)
    if head == "[]":
        if not isinstance(value, list | tuple):
            raise ArgumentError(component, where, value, "must be a list")
        return [_check_path(component, item, rest, rule, f"{where}[{index}]") for index, item in enumerate(value)]
    if not isinstance(value, Mapping):
        raise ArgumentError(component, where, value, "must be a mapping")
    if head not in value or value[head] is None:
        return value
    updated = dict(value)
    updated[head] = _check_path(component, value[head], rest, rule, f"{where}.{head}" if where else head)
    return updated


def _is_pending(value: Any) -> bool:
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


def _check_value(component: str, value: Any, rule: Rule, where: str) -> Any:
    def run(resolved: Any) -> Any:
        try:
            rule(resolved)
        except ValueError as error:
            raise ArgumentError(component, where, resolved, str(error)) from None
        return resolved

    if _is_pending(value):
        return pulumi.Output.from_input(value).apply(run)
    return run(value)
