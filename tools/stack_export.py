"""A planned stack as `pulumi stack export` would print it once deployed (deployment version 3).

The recording mock engine already gives the engine's URNs (`tools.mock_cloud.engine_urn`); this adds
the root stack and shapes every resource the way the export does, so tests can read the export of a
planned stack exactly like a deployed one.
"""

from __future__ import annotations

from typing import Any

from tools.mock_cloud import PROJECT, PlanResult

STACK_TYPE = "pulumi:pulumi:Stack"


def stack_urn(stack: str, project: str = PROJECT) -> str:
    return f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"


def stack_export(result: PlanResult, project: str = PROJECT) -> dict[str, Any]:
    """`{"version": 3, "deployment": {"manifest", "resources": [...]}}` for the planned resources."""
    root = stack_urn(result.stack, project)
    declared = {r.urn for r in result.resources}

    def urn(recorded: str) -> str:
        return recorded if recorded in declared else root

    def provider_reference(reference: str) -> str:
        provider_urn, _, provider_id = reference.rpartition("::")
        return f"{urn(provider_urn)}::{provider_id}" if provider_urn else ""

    entries: list[dict[str, Any]] = [{"urn": root, "custom": False, "type": STACK_TYPE, "outputs": result.outputs}]
    for resource in result.resources:
        entry: dict[str, Any] = {"urn": urn(resource.urn), "custom": resource.custom, "type": resource.type}
        if resource.custom:
            entry["id"] = resource.id
        entry["inputs"] = resource.inputs
        entry["outputs"] = resource.outputs if resource.custom else {}
        entry["parent"] = urn(resource.parent)
        if resource.retain_on_delete:
            entry["retainOnDelete"] = True
        if resource.provider:
            entry["provider"] = provider_reference(resource.provider)
        if resource.dependencies:
            entry["dependencies"] = [urn(d) for d in resource.dependencies]
        entries.append(entry)
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2026-01-01T00:00:00Z", "magic": "", "version": "v3.191.0"},
            "resources": entries,
        },
    }
