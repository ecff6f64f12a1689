"""Deployed stacks stay safe when the program's shape changes: every URN of the dev and prod stacks,
recorded before the workload hierarchy was flattened (tests/data/deployed_urns.json, engine URNs), is
still declared or is an alias of the resource that replaces it, so `pulumi up` moves state instead of
replacing cloud objects. A component URN may disappear: it holds no cloud object, and the engine only
drops it from state once its children have moved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from gcp_s3_federation import FederatedWorkload, load_config
from gcp_s3_federation.documents import GOOGLE_PROVIDER
from gcp_s3_federation.stack import workload_args
from tools.mock_cloud import engine_urn, run_program, run_under_mocks, stack_config

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


def test_a_workload_inside_another_component_is_aliased_under_its_own_urn(dev_federation: dict[str, Any]) -> None:
    config = load_config(dev_federation)
    spec = next(w for w in config.workloads if w.name == "nightly-etl")
    key_arn = "arn:aws:kms:eu-west-1:111122223333:key/0b6c1f5e-7d2a-4c4e-9a51-2f3e8d9c1a7b"

    def team() -> None:
        outer = pulumi.ComponentResource("acme:index:Team", "data")
        args = workload_args(config, spec, GOOGLE_PROVIDER, {b.name: key_arn for b in config.buckets})
        FederatedWorkload(spec.name, args, opts=pulumi.ResourceOptions(parent=outer))

    result = run_under_mocks(team, "dev")
    old = "urn:pulumi:dev::gcp-s3-federation::acme:index:Team$gcp-s3-federation:index:FederatedWorkload$"
    aliases = {alias for r in result.resources for alias in r.aliases}
    moved = {
        "WorkloadServiceAccount$gcp:serviceaccount/account:Account::nightly-etl",
        "WorkloadServiceAccount$gcp:serviceaccount/iAMPolicy:IAMPolicy::nightly-etl-iam",
        "WorkloadServiceAccount$gcp:projects/iAMMember:IAMMember::nightly-etl-dataproc-worker",
        "FederatedRole$aws:iam/role:Role::nightly-etl",
        "PrefixAccessPolicy$aws:iam/rolePolicy:RolePolicy::nightly-etl",
    }
    assert {f"{old}gcp-s3-federation:index:{urn}" for urn in moved} <= aliases
