"""Stack state from either source: a `make plan` JSON report or `pulumi stack export` output.

Both become one list of resources (type, name, URN, parent, inputs, outputs) plus the stack outputs,
so `explain` and the access diff read a planned stack and a deployed one the same way. A stack export
is `{"version": 3, "deployment": {"resources": [{"urn", "type", "inputs", "outputs", "parent", ...}]}}`
(Pulumi docs, "pulumi stack export"; the checkpoint format of `pulumi/sdk/go/common/apitype`). Secret
values appear there as `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ...}`
with `plaintext` (exported with `--show-secrets`) or `ciphertext`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
STACK_TYPE = "pulumi:pulumi:Stack"
WORKLOAD_TYPE = "gcp-s3-federation:index:FederatedWorkload"


class StateError(ValueError):
    """The JSON is neither a plan report nor a deployment-v3 stack export, or lacks what is asked."""


class EncryptedSecret:
    """A secret exported without `--show-secrets`: present, but unreadable here."""

    def __repr__(self) -> str:
        return "<encrypted secret>"


def _decode(value: Any) -> Any:
    """Export values as plain JSON data; secrets unwrapped when exported in plaintext."""
    if isinstance(value, dict):
        if value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE:
            if "plaintext" in value:
                return _decode(json.loads(value["plaintext"]))
            if "value" in value:
                return _decode(value["value"])
            return EncryptedSecret()
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def name_of(urn: str) -> str:
    """The resource's own name: the last `::` part of its URN."""
    return urn.rsplit("::", 1)[-1]


def type_chain(urn: str) -> list[str]:
    """The types of the resource's ancestors and itself, as the URN spells them (`parent$child`)."""
    parts = urn.split("::")
    return parts[2].split("$") if len(parts) >= 4 else []


@dataclass(frozen=True)
class StateResource:
    type: str
    name: str
    urn: str
    parent: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        """An output if known (a deployed stack), else the input."""
        return self.outputs.get(key, self.inputs.get(key))


@dataclass(frozen=True)
class StackState:
    """The resources and outputs of one stack, planned or deployed."""

    stack: str
    source: str  # "plan report" or "stack export"
    resources: tuple[StateResource, ...]
    outputs: dict[str, Any]

    @classmethod
    def from_json(cls, data: Any) -> StackState:
        if isinstance(data, StackState):
            return data
        if not isinstance(data, Mapping):
            raise StateError("expected a JSON object: a `make plan` report or `pulumi stack export` output")
        if "deployment" in data:
            return cls._from_export(data)
        if isinstance(data.get("resources"), list) and "outputs" in data:
            return cls._from_plan(data)
        raise StateError(
            "not a `make plan` report (no 'resources'/'outputs') nor a `pulumi stack export` (no 'deployment')"
        )

    @classmethod
    def _from_plan(cls, data: Mapping[str, Any]) -> StackState:
        resources = tuple(
            StateResource(
                type=str(r["type"]),
                name=str(r.get("name") or name_of(str(r["urn"]))),
                urn=str(r["urn"]),
                parent=str(r.get("parent") or ""),
                inputs=dict(r.get("inputs") or {}),
                outputs=dict(r.get("outputs") or {}),
            )
            for r in data["resources"]
        )
        return cls(str(data.get("stack", "")), "plan report", resources, dict(data.get("outputs") or {}))

    @classmethod
    def _from_export(cls, data: Mapping[str, Any]) -> StackState:
        version = data.get("version")
        if version != 3:
            raise StateError(f"stack export version {version!r} is not supported; expected 3 (`pulumi stack export`)")
        deployment = data["deployment"]
        entries = deployment.get("resources") or [] if isinstance(deployment, Mapping) else []
        resources: list[StateResource] = []
        outputs: dict[str, Any] = {}
        stack = ""
        for entry in entries:
            urn, typ = str(entry.get("urn", "")), str(entry.get("type", ""))
            if typ == STACK_TYPE:
                outputs = _decode(entry.get("outputs") or {})
                stack = urn.split("::")[0].removeprefix("urn:pulumi:")
                continue
            if entry.get("delete"):  # pending deletion: no longer part of the stack
                continue
            resources.append(
                StateResource(
                    type=typ,
                    name=name_of(urn),
                    urn=urn,
                    parent=str(entry.get("parent") or ""),
                    inputs=_decode(entry.get("inputs") or {}),
                    outputs=_decode(entry.get("outputs") or {}),
                )
            )
        return cls(stack, "stack export", tuple(resources), outputs)

    @cached_property
    def _by_type(self) -> dict[str, list[StateResource]]:
        index: dict[str, list[StateResource]] = {}
        for resource in self.resources:
            index.setdefault(resource.type, []).append(resource)
        return index

    @cached_property
    def _by_urn(self) -> dict[str, StateResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, *types: str) -> list[StateResource]:
        return [r for typ in types for r in self._by_type.get(typ, [])]

    def find(self, typ: str, test: Callable[[StateResource], bool]) -> StateResource | None:
        return next((r for r in self._by_type.get(typ, []) if test(r)), None)

    def workload_of(self, resource: StateResource) -> str:
        """The FederatedWorkload a resource belongs to (nearest such ancestor), else its own name."""
        by_urn = self._by_urn
        current: StateResource | None = resource
        while current is not None:
            if current.type == WORKLOAD_TYPE:
                return current.name
            current = by_urn.get(current.parent)
        return resource.name


def load_state(text: str) -> StackState:
    """Parse a plan report or a stack export from its JSON text."""
    try:
        return StackState.from_json(json.loads(text))
    except json.JSONDecodeError as error:
        raise StateError(f"not JSON: {error}") from None


def policy_document(value: Any, what: str) -> dict[str, Any]:
    """A policy input as a dict (the engine keeps it as a JSON string or an object)."""
    if isinstance(value, EncryptedSecret):
        raise StateError(f"{what} is an encrypted secret: run `pulumi stack export --show-secrets`")
    document = json.loads(value) if isinstance(value, str) else value
    if not isinstance(document, dict):
        raise StateError(f"{what} is not a policy document")
    return document
