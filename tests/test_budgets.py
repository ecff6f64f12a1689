"""Plan-time size budgets and quotas, and their policy-pack counterpart."""

from __future__ import annotations

import json
from typing import Any

import pytest
from gcp_s3_guard.model import Resource
from gcp_s3_guard.rules import RULES

from gcp_s3_federation.budget import workload_documents
from gcp_s3_federation.config import ConfigError, load_config
from tools.generate import generate_config
from tools.mock_cloud import CONFIG_KEY, run_program


def _problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    return caught.value.problems


def test_generated_configs_are_valid() -> None:
    assert len(load_config(generate_config(300)).workloads) == 300


def test_oversized_identity_policy_is_a_config_error_naming_workload_size_and_fix() -> None:
    raw = generate_config(1, buckets=1)
    raw["workloads"][0]["grants"] = [
        {"bucket": "acme-scale-lake-1", "prefix": f"{'deep/' * 30}{i}/", "access": "read-write"} for i in range(40)
    ]
    (problem,) = _problems(raw)
    assert problem.startswith("workloads[0] (workload-0000): the inline identity policy would be ")
    assert "over its 10,240 limit; give the workload fewer grants (merge prefixes) or split it" in problem


def test_trust_policy_always_fits_the_default_quota() -> None:
    raw = generate_config(1)
    raw["trust"] = {"mode": "oidc-provider", "audience": "a" * 255}
    raw["gcp"]["project"] = "p" * 30
    raw["workloads"][0].update(name="w" * 30)
    config = load_config(raw)
    trust = workload_documents(config, 0, config.workloads[0])[0]
    assert trust.document == "trust policy" and trust.size < 2048 // 2


@pytest.mark.parametrize(
    ("limit", "key"), [("service_accounts_per_project", "service accounts"), ("roles_per_account", "roles")]
)
def test_quotas_bind_at_plan_time(limit: str, key: str) -> None:
    raw = generate_config(12)
    raw["limits"] = {limit: 10}
    (problem,) = _problems(raw)
    assert problem.startswith(f"workloads: 12 {key} exceed limits.{limit} (10, ")


def test_bucket_and_key_policies_do_not_grow_with_workloads() -> None:
    def shared_documents(workloads: int) -> dict[str, str]:
        config = {CONFIG_KEY: generate_config(workloads)}
        result = run_program("scale", config)
        return {
            r.name: r.inputs["policy"]
            for r in result.custom_resources
            if r.type in ("aws:s3/bucketPolicy:BucketPolicy", "aws:kms/key:Key")
        }

    small, large = shared_documents(10), shared_documents(120)
    assert len(small) == 8 and small == large  # 3 buckets x (policy, key) + the audit log bucket and key


def _size_check(typ: str, props: dict[str, Any], **config: Any) -> list[str]:
    rule = next(r for r in RULES if r.id == "GSF025")
    assert rule.check is not None
    return list(rule.check(Resource(typ, "urn", "r", props), rule.settings(config)))


def test_pack_measures_minified_documents() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": [f"arn:aws:s3:::b/p{i}/*" for i in range(300)],
    }
    big = json.dumps({"Statement": [statement]}, indent=4)
    assert _size_check("aws:iam/policy:Policy", {"policy": big}) == [
        f"the managed policy is {len(json.dumps({'Statement': [statement]}, separators=(',', ':'))):,} "
        "characters (minified), over the 6,144 limit"
    ]
    assert _size_check("aws:iam/rolePolicy:RolePolicy", {"policy": big}) == []


def test_pack_trust_limit_is_configurable() -> None:
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "accounts.google.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Sid": "x" * 2100,
            }
        ]
    }
    assert len(_size_check("aws:iam/role:Role", {"assumeRolePolicy": trust})) == 1
    assert _size_check("aws:iam/role:Role", {"assumeRolePolicy": trust}, trustPolicyChars=4096) == []
