"""The GCP side of the trust: who may act as a workload's service account, and the audit of token minting."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gcp_s3_federation import GcpTrustGuard, WorkloadServiceAccount
from gcp_s3_federation.config import ConfigError, load_config
from gcp_s3_federation.gcp_iam import check_iam_member, service_account_policy
from tools.mock_cloud import (
    CONFIG_KEY,
    PlanResult,
    RecordedResource,
    fake_unique_id,
    run_program,
    run_under_mocks,
    stack_config,
)
from tools.plan import render_text
from tools.policy_config import declared_members

SA_POLICY = "gcp:serviceaccount/iAMPolicy:IAMPolicy"
ACCOUNT = "gcp:serviceaccount/account:Account"
AUDIT_CONFIG = "gcp:projects/iAMAuditConfig:IAMAuditConfig"
ORG_POLICY = "gcp:orgpolicy/policy:Policy"
SCHEDULER = "serviceAccount:scheduler@acme-data-dev.iam.gserviceaccount.com"


def _of_type(result: PlanResult, typ: str) -> list[RecordedResource]:
    return [r for r in result.custom_resources if r.type == typ]


def _members(policy_data: str) -> dict[str, list[str]]:
    return {b["role"]: b["members"] for b in json.loads(policy_data)["bindings"]}


# --- member rules and the policy document ----------------------------------------------------------


@pytest.mark.parametrize(
    "member",
    [
        "user:ana@acme.example",
        "group:data-platform@acme.example",
        "serviceAccount:deploy@acme-data-dev.iam.gserviceaccount.com",
        "domain:acme.example",
        "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/subject/repo:acme/x",
        "principalSet://iam.googleapis.com/locations/global/workforcePools/staff/group/admins",
    ],
)
def test_iam_member_forms_are_accepted(member: str) -> None:
    assert check_iam_member(member) == member


@pytest.mark.parametrize(
    ("member", "says"),
    [
        ("allUsers", "anyone on the internet"),
        ("allAuthenticatedUsers", "anyone on the internet"),
        ("ana@acme.example", "is not an IAM member"),
        ("user:ana", "is not an IAM member"),
        ("group:*@acme.example", "is not an IAM member"),
        ("projectOwner:acme-data-dev", "not a principal"),
        ("deleted:user:ana@acme.example?uid=1", "not a principal"),
        ("principalSet://iam.googleapis.com/locations/global/workforcePools/*", "is not an IAM member"),
    ],
)
def test_iam_member_rejects_public_wildcard_and_malformed(member: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        check_iam_member(member)


def test_policy_holds_exactly_the_declared_members_sorted() -> None:
    policy = service_account_policy(
        ["user:b@acme.example", "group:a@acme.example", "user:b@acme.example"],
        [{"member": SCHEDULER, "reason": "nightly trigger", "role": "roles/iam.serviceAccountTokenCreator"}],
    )
    assert policy == {
        "bindings": [
            {"role": "roles/iam.serviceAccountTokenCreator", "members": [SCHEDULER]},
            {"role": "roles/iam.serviceAccountUser", "members": ["group:a@acme.example", "user:b@acme.example"]},
        ]
    }
    assert service_account_policy([], []) == {"bindings": []}


def test_policy_refuses_other_roles_for_token_creators() -> None:
    with pytest.raises(ValueError, match="token creator role must be one of"):
        service_account_policy([], [{"member": SCHEDULER, "reason": "x", "role": "roles/owner"}])


# --- config ---------------------------------------------------------------------------------------


def _problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    return caught.value.problems


def test_deployers_are_validated_by_field(dev_federation: dict[str, Any]) -> None:
    dev_federation["gcp"]["deployers"] = ["group:ok@acme.example", "allUsers", "ana@acme.example"]
    public, malformed = _problems(dev_federation)
    assert public.startswith("gcp.deployers[1]: 'allUsers' would let anyone")
    assert malformed.startswith("gcp.deployers[2]: 'ana@acme.example' is not an IAM member")


def test_token_creators_need_a_member_and_a_reason(dev_federation: dict[str, Any]) -> None:
    dev_federation["workloads"][2]["token_creators"] = [
        {"member": SCHEDULER, "reason": " "},
        {"member": "user:bob", "reason": "runs the monthly report by hand"},
        {"member": SCHEDULER, "reason": "triggers the report", "role": "roles/owner"},
    ]
    problems = _problems(dev_federation)
    assert any(p.startswith("workloads[2].token_creators[0].reason: must say why") for p in problems)
    assert any(p.startswith("workloads[2].token_creators[1].member: 'user:bob' is not an IAM member") for p in problems)
    assert any(p.startswith("workloads[2].token_creators[2].role: ") for p in problems)


def test_adopting_a_service_account_is_an_explicit_choice(dev_federation: dict[str, Any]) -> None:
    dev_federation["workloads"][2]["adopt_service_account"] = True
    [problem] = _problems(dev_federation)
    assert problem.startswith("workloads[2]: adopt_service_account replaces the account's whole IAM policy")
    assert "set replace_foreign_bindings: true" in problem
    dev_federation["workloads"][2]["adopt_service_account"] = False
    dev_federation["workloads"][2]["replace_foreign_bindings"] = True
    [problem] = _problems(dev_federation)
    assert "only valid with adopt_service_account: true" in problem


def test_key_creation_constraint_names_are_checked(dev_federation: dict[str, Any]) -> None:
    dev_federation["gcp"]["key_creation_constraints"] = ["iam.disableServiceAccountKeyUpload"]
    [problem] = _problems(dev_federation)
    assert problem.startswith("gcp.key_creation_constraints[0]: ")


# --- the shipped stacks ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_workload_account_has_an_authoritative_policy_of_declared_members(stack: str) -> None:
    config = stack_config(stack)
    declared = sorted(config[CONFIG_KEY]["gcp"]["deployers"])
    result = run_program(stack, config)
    accounts = {r.urn: r for r in _of_type(result, ACCOUNT)}
    policies = _of_type(result, SA_POLICY)
    assert len(accounts) == len(config[CONFIG_KEY]["workloads"]) == len(policies)
    for policy in policies:
        assert _members(policy.inputs["policyData"]) == {"roles/iam.serviceAccountUser": declared}
        [account] = [a for a in accounts.values() if a.parent == policy.parent]
        project = config[CONFIG_KEY]["gcp"]["project"]
        email = f"{account.inputs['accountId']}@{project}.iam.gserviceaccount.com"
        assert policy.inputs["serviceAccountId"] == f"projects/{project}/serviceAccounts/{email}"
    for workload in result.outputs["workloads"].values():
        assert _members(workload["service_account_iam_policy"]) == {"roles/iam.serviceAccountUser": declared}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_turns_on_token_minting_audit_logs(stack: str) -> None:
    result = run_program(stack, stack_config(stack))
    text = render_text(result)  # what `make plan` prints
    assert "token minting audited: iam.googleapis.com Data Access logs (ADMIN_READ, DATA_READ)" in text
    assert text.count('-iam: {"bindings": [{"members": [') == len(stack_config(stack)[CONFIG_KEY]["workloads"])
    [audit] = _of_type(result, AUDIT_CONFIG)
    assert audit.inputs["service"] == "iam.googleapis.com"
    assert {c["logType"] for c in audit.inputs["auditLogConfigs"]} == {"ADMIN_READ", "DATA_READ"}
    assert audit.inputs["project"] == stack_config(stack)[CONFIG_KEY]["gcp"]["project"]
    assert result.outputs["gcp_trust"]["audited_service"] == "iam.googleapis.com"


def test_key_creation_constraint_only_where_configured() -> None:
    assert _of_type(run_program("dev", stack_config("dev")), ORG_POLICY) == []
    prod = run_program("prod", stack_config("prod"))
    policies = _of_type(prod, ORG_POLICY)
    assert sorted(p.inputs["name"] for p in policies) == [
        "projects/acme-data-prod/policies/iam.disableServiceAccountKeyCreation",
        "projects/acme-data-prod/policies/iam.managed.disableServiceAccountKeyCreation",
    ]
    for policy in policies:
        assert policy.inputs["parent"] == "projects/acme-data-prod"
        assert policy.inputs["spec"] == {"rules": [{"enforce": "TRUE"}]}
    assert len(prod.outputs["gcp_trust"]["key_creation_policies"]) == 2


def test_audit_is_opt_out_and_token_creators_reach_the_policy(dev_federation: dict[str, Any]) -> None:
    dev_federation["gcp"]["audit_token_minting"] = False
    dev_federation["workloads"][2]["token_creators"] = [{"member": SCHEDULER, "reason": "triggers the report"}]
    result = run_program("dev", {CONFIG_KEY: dev_federation})
    assert _of_type(result, AUDIT_CONFIG) == []
    [reporting] = [p for p in _of_type(result, SA_POLICY) if p.name == "reporting-iam"]
    assert _members(reporting.inputs["policyData"])["roles/iam.serviceAccountOpenIdTokenCreator"] == [SCHEDULER]
    others = [p for p in _of_type(result, SA_POLICY) if p.name != "reporting-iam"]
    assert all("roles/iam.serviceAccountOpenIdTokenCreator" not in p.inputs["policyData"] for p in others)
    assert declared_members(load_config(dev_federation))["gsf041-stack-service-account-grants-declared"][
        "tokenCreators"
    ] == {"reporting@acme-data-dev.iam.gserviceaccount.com": [SCHEDULER]}


def test_adopted_account_is_read_not_created_and_its_policy_replaced(dev_federation: dict[str, Any]) -> None:
    dev_federation["workloads"][2].update(adopt_service_account=True, replace_foreign_bindings=True)
    result = run_program("dev", {CONFIG_KEY: dev_federation})
    assert sorted(a.name for a in _of_type(result, ACCOUNT)) == ["ingest-api", "nightly-etl"]
    [reporting] = [p for p in _of_type(result, SA_POLICY) if p.name == "reporting-iam"]
    assert reporting.inputs["serviceAccountId"] == (
        "projects/acme-data-dev/serviceAccounts/reporting@acme-data-dev.iam.gserviceaccount.com"
    )
    role = next(r for r in result.custom_resources if r.type == "aws:iam/role:Role" and r.name == "reporting")
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    email = "reporting@acme-data-dev.iam.gserviceaccount.com"
    assert statement["Condition"]["StringEquals"]["accounts.google.com:sub"] == fake_unique_id(email)


# --- components alone -----------------------------------------------------------------------------


def test_service_account_component_alone_declares_its_policy() -> None:
    def body() -> None:
        WorkloadServiceAccount(
            "etl",
            {
                "account_id": "etl-runner",
                "project": "proj-a1",
                "environment": "dev",
                "kind": "dataproc",
                "deployers": ["group:d@acme.example"],
            },
        )

    result = run_under_mocks(body)
    [policy] = _of_type(result, SA_POLICY)
    assert _members(policy.inputs["policyData"]) == {"roles/iam.serviceAccountUser": ["group:d@acme.example"]}
    assert policy.parent.endswith("WorkloadServiceAccount::etl")


def test_service_account_without_deployers_gets_an_empty_policy() -> None:
    result = run_under_mocks(
        lambda: WorkloadServiceAccount(
            "etl", {"account_id": "etl-runner", "project": "proj-a1", "environment": "dev", "kind": "cloud-run"}
        )
    )
    [policy] = _of_type(result, SA_POLICY)
    assert json.loads(policy.inputs["policyData"]) == {"bindings": []}


def test_trust_guard_refuses_an_unknown_constraint() -> None:
    with pytest.raises(Exception, match=r"key_creation_constraints\[0\] must be one of iam\.managed"):
        run_under_mocks(lambda: GcpTrustGuard("g", {"project": "proj-a1", "key_creation_constraints": ["iam.nope"]}))
