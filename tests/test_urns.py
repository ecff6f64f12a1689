"""Deployed stacks stay safe when the program's shape changes: every URN of the dev and prod stacks,
recorded before the workload hierarchy was flattened (tests/data/deployed_urns.json, engine URNs), is
still declared or is an alias of the resource that replaces it, so `pulumi up` moves state instead of
replacing cloud objects. A component URN may disappear: it holds no cloud object, and the engine only
drops it from state once its children have moved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.mock_cloud import engine_urn, run_program, stack_config

RECORDED = json.loads((Path(__file__).parent / "data" / "deployed_urns.json").read_text())


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_deployed_urn_is_unchanged_or_aliased(stack: str) -> None:
    result = run_program(stack, stack_config(stack))
    declared = {r.urn for r in result.resources}
    aliased = {alias: r.urn for r in result.resources for alias in r.aliases}
    kept = declared | set(aliased)
    lost = [urn for urn, kind in RECORDED[stack].items() if kind == "resource" and urn not in kept]
    assert not lost, f"deployed resources that `pulumi up` would replace: {lost}"
    for alias, urn in aliased.items():
        assert alias not in declared, f"{urn} aliases {alias}, which is still declared"


def test_urns_are_the_engines() -> None:
    stack_urn = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"
    outer = engine_urn("dev", "p", stack_urn, "x:index:Outer", "a")
    assert outer == "urn:pulumi:dev::p::x:index:Outer::a"
    inner = engine_urn("dev", "p", outer, "x:index:Inner", "a")
    assert engine_urn("dev", "p", inner, "aws:iam/role:Role", "a") == (
        "urn:pulumi:dev::p::x:index:Outer$x:index:Inner$aws:iam/role:Role::a"
    )
