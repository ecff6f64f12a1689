"""The planned roles of a stack run under mocks, for replaying client traces (gcp_aws_credentials.flows)."""

from __future__ import annotations

from typing import Any

from gcp_aws_credentials.flows import PlannedRole, planned_role
from tools.mock_cloud import PlanResult


def plan_report(plan: PlanResult) -> dict[str, Any]:
    """The same shape as a `make plan` report (REPORT=path)."""
    return {"resources": [r.report_entry() for r in plan.custom_resources], "outputs": plan.outputs}


def role_views(plan: PlanResult) -> list[PlannedRole]:
    report = plan_report(plan)
    return [planned_role(report, workload) for workload in plan.outputs["workloads"]]
