"""The real pack process over the Analyzer gRPC protocol, as the Pulumi CLI drives it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gcp_s3_guard.rules import RULES

from gcp_s3_federation.config import load_config
from tools import plan
from tools.gate import GateResult, run_gate
from tools.mock_cloud import CONFIG_KEY, run_program, stack_config
from tools.policy_config import declared_members
from tools.rules_table import README, readme_table, render


def _stack_entries(stack: str) -> list[dict[str, Any]]:
    return [r.report_entry() for r in run_program(stack, stack_config(stack)).custom_resources]


def _declared(stack: str) -> dict[str, Any]:
    """The pack config `python -m tools.policy_config <stack>` writes: who may act as the workload SAs."""
    return declared_members(load_config(stack_config(stack)[CONFIG_KEY]))


def _ids(result: GateResult) -> set[str]:
    return {v.policy.split("-")[0].upper() for v in result.violations}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_pass_the_gate(stack: str) -> None:
    result = run_gate(_stack_entries(stack), config=_declared(stack), stack=stack)
    assert len(result.policies) == len(RULES)
    assert result.mandatory == []
    undeclared = run_gate(_stack_entries(stack), stack=stack)  # without the declaration the deployers are foreign
    assert {v.policy for v in undeclared.mandatory} == {"gsf041-stack-service-account-grants-declared"}


def _resource(typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"type": typ, "name": name, "urn": f"urn:pulumi:bad::hand::{typ}::{name}", "inputs": inputs}


BAD_STACK = [
    _resource(
        "aws:iam/role:Role",
        "legacy",
        {
            "assumeRolePolicy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Federated": "accounts.google.com"},
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Condition": {"StringLike": {"accounts.google.com:aud": "my-audience*"}},
                        }
                    ],
                }
            ),
            "maxSessionDuration": 43200,
        },
    ),
    _resource(
        "aws:iam/rolePolicy:RolePolicy",
        "legacy",
        {"role": "legacy", "policy": {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}},
    ),
    _resource("aws:iam/accessKey:AccessKey", "ci", {"user": "ci"}),
    _resource("gcp:serviceaccount/key:Key", "sa-key", {"serviceAccountId": "etl"}),
    _resource(
        "gcp:cloudrunv2/service:Service",
        "api",
        {
            "template": {
                "containers": [{"image": "i", "envs": [{"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE"}]}]
            }
        },
    ),
    _resource("aws:s3/bucketV2:BucketV2", "raw", {"bucket": "raw"}),
    _resource(
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        "raw-sse",
        {"bucket": "raw", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
    ),
    _resource("aws:kms/key:Key", "key", {"enableKeyRotation": False}),
]


def test_hand_written_bad_stack_fails_with_expected_rules() -> None:
    result = run_gate(BAD_STACK, stack="bad")
    assert _ids(result) == {
        "GSF001",
        "GSF002",
        "GSF006",
        "GSF008",
        "GSF010",
        "GSF011",
        "GSF012",
        "GSF013",
        "GSF014",
        "GSF015",
        "GSF020",
        "GSF022",
        "GSF024",
        "GSF026",
        "GSF029",
        "GSF043",
    }
    levels = {v.policy.split("-")[0].upper(): v.level for v in result.violations}
    assert levels["GSF020"] == "mandatory" and levels["GSF024"] == "advisory"
    stack_level = [v for v in result.violations if v.policy.startswith("gsf022")]
    assert stack_level[0].resource == "urn:pulumi:bad::hand::aws:s3/bucketV2:BucketV2::raw"
    assert "no public access block" in stack_level[0].message


def test_policy_pack_config_sets_thresholds_and_levels() -> None:
    prod = _stack_entries("prod")
    strict = run_gate(
        prod, config={**_declared("prod"), "gsf005-session-duration-limit": {"maxSessionDurationSeconds": 3600}}
    )
    assert {v.policy for v in strict.mandatory} == {"gsf005-session-duration-limit"}
    relaxed = run_gate(
        prod,
        config={
            **_declared("prod"),
            "gsf005-session-duration-limit": {"enforcementLevel": "advisory", "maxSessionDurationSeconds": 3600},
        },
    )
    assert relaxed.mandatory == [] and {v.policy for v in relaxed.violations} == {"gsf005-session-duration-limit"}


def test_unknown_values_are_reported_not_crashed_or_passed() -> None:
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    result = run_gate([_resource("aws:iam/role:Role", "pending", {"assumeRolePolicy": unknown})])
    messages = [v for v in result.violations if v.resource.endswith("::pending")]
    assert messages and all(v.level == "advisory" for v in messages)
    assert any("can't run policy 'gsf001-google-trust-pinned'" in v.message for v in messages)


def test_plan_gate_exit_status_report_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"gsf005-session-duration-limit": {"maxSessionDurationSeconds": 3600}}))
    report, summary = tmp_path / "r.json", tmp_path / "s.md"
    code = plan.main(
        ["--stack", "prod", "--report", str(report), "--summary", str(summary), "--policy-config", str(config)]
    )
    assert code == 1
    violations = json.loads(report.read_text())["violations"]
    assert {v["policy"] for v in violations} == {"gsf005-session-duration-limit"}
    assert set(violations[0]) == {"policy", "level", "resource", "message"}
    assert "❌ blocked" in summary.read_text()
    assert "gsf005-session-duration-limit" in capsys.readouterr().out


def test_readme_rules_table_matches_the_code() -> None:
    assert readme_table(README.read_text()) == render(), "run: python -m tools.rules_table --write"
