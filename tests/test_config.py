"""Config validation: every rule rejects with a message naming the field path and the rule."""

from __future__ import annotations

from typing import Any

import pytest

from gcp_s3_federation.config import ConfigError, load_config
from tools.mock_cloud import CONFIG_KEY, stack_config


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_are_valid(stack: str) -> None:
    config = load_config(stack_config(stack)[CONFIG_KEY])
    assert config.environment == stack
    assert config.role_path == f"/gcp-federation/{stack}/"


def test_defaults_are_short_lived_and_builtin(dev_federation: dict[str, Any]) -> None:
    del dev_federation["sessions"]
    del dev_federation["trust"]
    config = load_config(dev_federation)
    assert config.sessions.max_duration_seconds == 3600
    assert config.sessions.default_duration_seconds == 3600
    assert config.trust.mode == "builtin"
    assert config.audience == "gcp-s3-federation-dev"


def _problems(raw: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    return caught.value.problems


def _grant(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    raw["workloads"][0]["grants"][0].update(changes)
    return raw


@pytest.mark.parametrize(
    ("bucket", "rule"),
    [
        ("ab", "3-63 chars"),
        ("Acme-Lake", "3-63 chars"),
        ("acme_lake", "3-63 chars"),
        ("-acme", "3-63 chars"),
        ("acme..lake", "'..'"),
        ("acme.-lake", "'..', '.-' or '-.'"),
        ("192.168.10.1", "IP address"),
        ("xn--acme", "reserves"),
        ("acme-s3alias", "reserves"),
        ("a" * 64, "3-63 chars"),
    ],
)
def test_bucket_names_follow_s3_rules(dev_federation: dict[str, Any], bucket: str, rule: str) -> None:
    dev_federation["buckets"][0]["name"] = bucket
    problems = _problems(dev_federation)
    assert any(p.startswith("buckets[0].name: ") and rule in p for p in problems), problems


@pytest.mark.parametrize(
    ("prefix", "rule"),
    [
        ("", "must not be empty"),
        ("/raw/", "must not start with '/'"),
        ("raw", "must end with '/'"),
        ("raw/*/", "'*'"),
        ("raw/?/", "'?'"),
        ("raw/${aws:username}/", "'${'"),
        ("raw/../", "'..'"),
        ("raw//x/", "'//'"),
        ("raw data/", "whitespace"),
        ("raw\tdata/", "whitespace"),
        ("raw\x01/", "control"),
    ],
)
def test_prefix_rules(dev_federation: dict[str, Any], prefix: str, rule: str) -> None:
    problems = _problems(_grant(dev_federation, prefix=prefix))
    assert any(p.startswith("workloads[0].grants[0].prefix: ") and rule in p for p in problems), problems


@pytest.mark.parametrize("account_id", ["short", "1starts-with-digit", "ends-with-dash-", "UPPER-case-id", "a" * 31])
def test_gcp_account_id_rules(dev_federation: dict[str, Any], account_id: str) -> None:
    dev_federation["workloads"][0]["service_account_id"] = account_id
    problems = _problems(dev_federation)
    assert any(p.startswith("workloads[0].service_account_id: must match") for p in problems), problems


def test_workload_name_used_as_account_id_must_fit(dev_federation: dict[str, Any]) -> None:
    dev_federation["workloads"][0]["name"] = "api"
    problems = _problems(dev_federation)
    assert any("name (used as service_account_id) must match" in p for p in problems), problems


def test_duplicate_workload_names(dev_federation: dict[str, Any]) -> None:
    dev_federation["workloads"][2]["name"] = "ingest-api"
    problems = _problems(dev_federation)
    assert "workloads[2].name: 'ingest-api' duplicates workloads[0]" in problems


def test_duplicate_service_account_ids(dev_federation: dict[str, Any]) -> None:
    dev_federation["workloads"][1]["service_account_id"] = "ingest-api"
    assert "workloads[1].service_account_id: 'ingest-api' duplicates workloads[0]" in _problems(dev_federation)


def test_duplicate_grant(dev_federation: dict[str, Any]) -> None:
    grants = dev_federation["workloads"][0]["grants"]
    grants.append(dict(grants[0]))
    assert any(p.startswith("workloads[0].grants[1].prefix: duplicates grants[0]") for p in _problems(dev_federation))


def test_overlapping_grants(dev_federation: dict[str, Any]) -> None:
    grants = dev_federation["workloads"][0]["grants"]
    grants.append({"bucket": grants[0]["bucket"], "prefix": "raw/", "access": "read"})
    problems = _problems(dev_federation)
    assert any(p.startswith("workloads[0].grants[1].prefix: 'raw/' overlaps grants[0]") for p in problems), problems


def test_sibling_prefixes_do_not_overlap(dev_federation: dict[str, Any]) -> None:
    grants = dev_federation["workloads"][0]["grants"]
    grants.append({"bucket": grants[0]["bucket"], "prefix": "raw/events2/", "access": "read"})
    assert len(load_config(dev_federation).workloads[0].grants) == 2


def test_grant_on_undeclared_bucket(dev_federation: dict[str, Any]) -> None:
    problems = _problems(_grant(dev_federation, bucket="someone-elses-bucket"))
    assert "workloads[0].grants[0].bucket: 'someone-elses-bucket' is not declared under buckets" in problems


@pytest.mark.parametrize("seconds", [900, 3599, 43201, 86400])
def test_session_duration_bounds(dev_federation: dict[str, Any], seconds: int) -> None:
    dev_federation["sessions"]["max_duration_seconds"] = seconds
    problems = _problems(dev_federation)
    assert any(p.startswith("sessions.max_duration_seconds: must be between 3600 and 43200") for p in problems)


def test_default_duration_within_max(dev_federation: dict[str, Any]) -> None:
    dev_federation["sessions"]["default_duration_seconds"] = 7200
    problems = _problems(dev_federation)
    assert any("default_duration_seconds must not exceed max_duration_seconds" in p for p in problems), problems


@pytest.mark.parametrize(
    ("audience", "rule"),
    [
        ("", "must not be empty"),
        ("  ", "must not be empty"),
        ("gcp-*", "wildcards"),
        ("aud?", "wildcards"),
        ("${aws:x}", "wildcards"),
    ],
)
def test_audience_rules(dev_federation: dict[str, Any], audience: str, rule: str) -> None:
    dev_federation["trust"]["audience"] = audience
    problems = _problems(dev_federation)
    assert any(p.startswith("trust.audience: ") and rule in p for p in problems), problems


@pytest.mark.parametrize(
    ("path", "key"),
    [((), "enviroment"), (("aws",), "regoin"), (("workloads", 0), "grant"), (("workloads", 0, "grants", 0), "acess")],
)
def test_unknown_keys_are_rejected(dev_federation: dict[str, Any], path: tuple[Any, ...], key: str) -> None:
    target: Any = dev_federation
    for part in path:
        target = target[part]
    target[key] = "x"
    location = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in (*path, key)).lstrip(".")
    assert f"{location}: unknown key (check the spelling; see the config reference in README.md)" in _problems(
        dev_federation
    )


def test_adopted_bucket_needs_key_arn(dev_federation: dict[str, Any]) -> None:
    dev_federation["buckets"][0]["mode"] = "adopt"
    assert any("kms_key_arn is required when mode is adopt" in p for p in _problems(dev_federation))


def test_kms_alias_is_not_a_key_arn(dev_federation: dict[str, Any]) -> None:
    dev_federation["buckets"][0].update(mode="adopt", kms_key_arn="arn:aws:kms:eu-west-1:111122223333:alias/lake")
    assert any(p.startswith("buckets[0].kms_key_arn: must be a full KMS key ARN") for p in _problems(dev_federation))


@pytest.mark.parametrize("days", [0, 366, "seven"])
def test_abort_incomplete_uploads_days_bounds(dev_federation: dict[str, Any], days: Any) -> None:
    dev_federation["buckets"][0]["abort_incomplete_uploads_after_days"] = days
    problems = _problems(dev_federation)
    assert any(p.startswith("buckets[0].abort_incomplete_uploads_after_days: ") for p in problems), problems


def test_admin_principals_must_be_exact(dev_federation: dict[str, Any]) -> None:
    dev_federation["admin_principal_arns"] = ["arn:aws:iam::111122223333:role/*"]
    assert any(p.startswith("admin_principal_arns[0]: must be an exact IAM role") for p in _problems(dev_federation))


def test_provider_arn_only_in_provider_mode(dev_federation: dict[str, Any]) -> None:
    dev_federation["trust"]["oidc_provider_arn"] = "arn:aws:iam::111122223333:oidc-provider/accounts.google.com"
    assert any("only valid with mode: oidc-provider" in p for p in _problems(dev_federation))


def test_missing_required_field(dev_federation: dict[str, Any]) -> None:
    del dev_federation["aws"]
    assert "aws: is required" in _problems(dev_federation)


def test_all_problems_reported_at_once(dev_federation: dict[str, Any]) -> None:
    dev_federation["environment"] = "Dev!"
    dev_federation["buckets"][0]["name"] = "Bad_Bucket"
    problems = _problems(dev_federation)
    assert {p.split(":")[0] for p in problems} >= {"environment", "buckets[0].name"}


def test_not_a_mapping() -> None:
    assert _problems(["dev"]) == ["(top level): the federation setting must be a mapping"]
