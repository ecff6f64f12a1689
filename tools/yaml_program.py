"""Run a Pulumi YAML program that uses this package's components, offline, under the mocks.

Only the subset the examples use: `pulumi:providers:aws|gcp` and `gcp-s3-federation:index:<Component>`
resources, `${pulumi.stack}`, `${<config key>}`, `${<resource>}` and `${<resource>.<output>}`
interpolation, `options.providers`, and `outputs`. Anything else is refused with its name, so a plan
never silently skips part of a program.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from gcp_s3_federation import COMPONENTS

TOKEN_PREFIX = "gcp-s3-federation:index:"
PROVIDERS: dict[str, type[pulumi.ProviderResource]] = {
    "pulumi:providers:aws": aws.Provider,
    "pulumi:providers:gcp": gcp.Provider,
}
_REFERENCE = re.compile(r"\$\{([^}]+)\}")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class YamlProgramError(ValueError):
    """A construct this offline runner does not model; named, never skipped."""


def run(program: dict[str, Any], project: str) -> None:
    """Declare the program's resources and exports (call inside the mocks)."""
    config = pulumi.Config(project)
    created: dict[str, pulumi.Resource] = {}

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            return {snake(k): resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if not isinstance(value, str):
            return value
        whole = _REFERENCE.fullmatch(value)
        if whole:
            return lookup(whole.group(1))
        return _REFERENCE.sub(lambda m: str(lookup(m.group(1))), value)

    def lookup(reference: str) -> Any:
        if reference == "pulumi.stack":
            return pulumi.get_stack()
        name, _, output = reference.partition(".")
        if name in created:
            return getattr(created[name], snake(output)) if output else created[name]
        if not output:
            return config.require(name)
        raise YamlProgramError(f"unknown reference ${{{reference}}}")

    components = {f"{TOKEN_PREFIX}{c.__name__}": c for c in COMPONENTS}
    for name, spec in (program.get("resources") or {}).items():
        token, properties = spec.get("type"), spec.get("properties") or {}
        providers = [resolve(p) for p in (spec.get("options") or {}).get("providers", [])]
        opts = pulumi.ResourceOptions(providers=providers) if providers else None
        if token in PROVIDERS:
            created[name] = PROVIDERS[token](name, **resolve(properties), opts=opts)
        elif token in components:
            created[name] = components[token](name, resolve(properties), opts=opts)
        else:
            raise YamlProgramError(f"resource {name!r}: type {token!r} is not modelled by the offline plan")
    for key, value in (program.get("outputs") or {}).items():
        pulumi.export(key, resolve(value))


def is_yaml_program(project_file: dict[str, Any]) -> bool:
    runtime = project_file.get("runtime")
    return (runtime.get("name") if isinstance(runtime, dict) else runtime) == "yaml"
