"""A planned stack as `pulumi stack export` would print it once deployed (deployment version 3).

The mock engine names a child `urn:…::<parent's own type>$<type>::<name>` and puts the root stack's
type in top-level URNs; the Pulumi engine qualifies a child's type with its parent's whole type chain
and leaves the root stack out (`pulumi/pkg/resource/deploy/source_eval.go`, URN construction in
`sdk/go/common/resource/urn.go`). This rewrites every URN, parent, provider reference and dependency
to the engine's form, so tests can read the export of a stack exactly like a deployed one.
"""

from __future__ import annotations

from typing import Any

from tools.mock_cloud import PROJECT, PlanResult, RecordedResource

STACK_TYPE = "pulumi:pulumi:Stack"


def stack_urn(stack: str, project: str = PROJECT) -> str:
    return f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"


def stack_export(result: PlanResult, project: str = PROJECT) -> dict[str, Any]:
    """`{"version": 3, "deployment": {"manifest", "resources": [...]}}` for the planned resources."""
    root = stack_urn(result.stack, project)
    by_urn = {r.urn: r for r in result.resources}
    qualified: dict[str, str] = {}

    def qualified_type(resource: RecordedResource) -> str:
        if resource.urn not in qualified:
            parent = by_urn.get(resource.parent)
            qualified[resource.urn] = f"{qualified_type(parent)}${resource.type}" if parent else resource.type
        return qualified[resource.urn]

    def urn(mock_urn: str) -> str:
        resource = by_urn.get(mock_urn)
        if resource is None:
            return root
        return f"urn:pulumi:{result.stack}::{project}::{qualified_type(resource)}::{resource.name}"

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
