"""The service account's IAM policy against the declared one: online against loopback fakes of the
metadata server and IAM, offline over a plan report and a stack export."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest

from gcp_aws_credentials.sa_policy import (
    PolicyUnreadableError,
    beyond_declared,
    offline_findings,
    read_own_policy,
)
from gcp_aws_credentials.state import StackState
from tools.loopback import FakeIam, FakeMetadata
from tools.mock_cloud import run_program, stack_config
from tools.plan import report

EMAIL = "etl-runner@acme-data-dev.iam.gserviceaccount.com"
DEPLOYER = "group:data-platform-dev@acme.example"
EVE = "user:eve@acme.example"
STACK = "pulumi:pulumi:Stack"
DECLARED = {"bindings": [{"role": "roles/iam.serviceAccountUser", "members": [DEPLOYER]}]}


def test_reads_its_own_policy_with_the_metadata_servers_token(metadata: FakeMetadata, iam: FakeIam) -> None:
    email, policy = read_own_policy(metadata_host=_host(metadata))
    assert email == EMAIL
    assert beyond_declared(policy, json.dumps(DECLARED)) == []
    assert iam.requests == [f"/v1/projects/-/serviceAccounts/{EMAIL.replace('@', '%40')}:getIamPolicy"]


def test_bindings_beyond_the_declared_ones_are_named(metadata: FakeMetadata, iam: FakeIam) -> None:
    iam.policies[EMAIL]["bindings"].append({"role": "roles/iam.serviceAccountTokenCreator", "members": [EVE]})
    iam.policies[EMAIL]["bindings"][0]["members"].append("user:mallory@acme.example")
    _, policy = read_own_policy(metadata_host=_host(metadata))
    assert beyond_declared(policy, DECLARED) == [
        ("roles/iam.serviceAccountTokenCreator", EVE),
        ("roles/iam.serviceAccountUser", "user:mallory@acme.example"),
    ]


def test_a_workload_without_the_permission_is_told_so(metadata: FakeMetadata, iam: FakeIam) -> None:
    iam.readable = False
    with pytest.raises(PolicyUnreadableError, match=r"may not read its own IAM policy \(HTTP 403; it needs iam\."):
        read_own_policy(metadata_host=_host(metadata))


def test_no_metadata_server_is_reported_not_crashed(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PolicyUnreadableError, match="gave no email or access token"):
        read_own_policy(metadata_host="127.0.0.1:9", timeout=0.5)


def _host(metadata: FakeMetadata) -> str:
    return os.environ["GCE_METADATA_HOST"]  # the metadata fixture points it at the fake


# --- offline ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_report() -> dict[str, Any]:
    return json.loads(json.dumps(report(run_program("dev", stack_config("dev")))))


def test_the_planned_stack_holds_only_declared_members(plan_report: dict[str, Any]) -> None:
    for workload in plan_report["outputs"]["workloads"]:
        assert offline_findings(StackState.from_json(plan_report), workload) == []


def test_a_grant_next_to_the_authoritative_policy_is_found(plan_report: dict[str, Any]) -> None:
    document = copy.deepcopy(plan_report)
    email = document["outputs"]["workloads"]["reporting"]["service_account_email"]
    document["resources"].append(
        {
            "type": "gcp:serviceaccount/iAMMember:IAMMember",
            "name": "extra",
            "urn": "urn:pulumi:dev::p::gcp:serviceaccount/iAMMember:IAMMember::extra",
            "inputs": {
                "serviceAccountId": f"projects/acme-data-dev/serviceAccounts/{email}",
                "role": "roles/iam.serviceAccountTokenCreator",
                "member": EVE,
            },
        }
    )
    assert offline_findings(StackState.from_json(document), "reporting") == [
        f"IAMMember 'extra' grants {EVE} (roles/iam.serviceAccountTokenCreator) on {email}"
    ]
    assert offline_findings(StackState.from_json(document), "ingest-api") == []


def test_a_refreshed_stack_export_shows_what_google_holds(plan_report: dict[str, Any]) -> None:
    outputs = plan_report["outputs"]
    email = outputs["workloads"]["ingest-api"]["service_account_email"]
    declared = outputs["workloads"]["ingest-api"]["service_account_iam_policy"]
    refreshed = json.loads(declared)
    refreshed["bindings"].append({"role": "roles/iam.workloadIdentityUser", "members": [EVE]})
    export: dict[str, Any] = {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev",
                    "type": "pulumi:pulumi:Stack",
                    "outputs": outputs,
                },
                {
                    "urn": "urn:pulumi:dev::p::gcp:serviceaccount/iAMPolicy:IAMPolicy::ingest-api-iam",
                    "type": "gcp:serviceaccount/iAMPolicy:IAMPolicy",
                    "inputs": {"serviceAccountId": f"projects/-/serviceAccounts/{email}", "policyData": declared},
                    "outputs": {"policyData": json.dumps(refreshed), "etag": "BwY="},
                },
            ]
        },
    }
    assert offline_findings(StackState.from_json(export), "ingest-api") == [
        f"IAMPolicy 'ingest-api-iam' grants {EVE} (roles/iam.workloadIdentityUser) on {email}"
    ]
    export["deployment"]["resources"].pop()
    assert offline_findings(StackState.from_json(export), "ingest-api") == [
        f"no authoritative gcp.serviceaccount.IAMPolicy manages {email}"
    ]
    assert offline_findings(StackState.from_json(export), "nope") == [
        "the stack export has no workload 'nope' in its outputs"
    ]
