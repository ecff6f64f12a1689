"""One schema, two doors: the stack config and every public component reject the same bad values with
the same rule, naming the field, before any resource exists. One generator drives both doors."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gcp_s3_federation import (
    COMPONENTS,
    AuditTrail,
    CloudRunService,
    DataprocCluster,
    FederatedRole,
    FederatedWorkload,
    GcpTrustGuard,
    GoogleOidcProvider,
    PrefixAccessPolicy,
    SecureBucket,
    WorkloadServiceAccount,
)
from gcp_s3_federation.config import ConfigError, load_config
from gcp_s3_federation.fields import partition_for_region
from gcp_s3_federation.validation import ArgumentError
from tools.mock_cloud import CONFIG_KEY, CloudMocks, run_program, run_under_mocks, stack_config

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0f0e0d0c-0b0a-4909-8807-060504030201"
GRANT = {"bucket": "acme-dev-lake", "prefix": "raw/events/", "access": "write", "kms_key_arn": KEY}

# Valid arguments for every public component; each case below breaks one of them.
VALID: dict[type[pulumi.ComponentResource], dict[str, Any]] = {
    FederatedWorkload: {
        "kind": "cloud-run",
        "service_account_id": "ingest-api",
        "gcp_project": "acme-data-dev",
        "environment": "dev",
        "aws_region": "eu-west-1",
        "principal": "accounts.google.com",
        "audience": "gcp-s3-federation-dev",
        "grants": [GRANT],
        "role_path": "/gcp-federation/dev/",
        "max_session_duration": 3600,
        "default_session_duration": 3600,
        "gcp_region": "europe-west1",
        "permissions_boundary_arn": f"arn:aws:iam::{ACCOUNT}:policy/boundary",
        "cloud_run": {"image": "europe-docker.pkg.dev/p/r/app:1"},
        "deployers": ["group:release@acme.example"],
    },
    PrefixAccessPolicy: {"role_name": "gcpfed-dev-ingest-api", "grants": [GRANT], "region": "eu-west-1"},
    FederatedRole: {
        "role_name": "gcpfed-dev-ingest-api",
        "path": "/gcp-federation/dev/",
        "principal": "accounts.google.com",
        "service_account_unique_id": "112233445566778899001",
        "audience": "gcp-s3-federation-dev",
        "session_name": "ingest-api@acme-data-dev",
        "max_session_duration": 3600,
        "permissions_boundary_arn": f"arn:aws:iam::{ACCOUNT}:policy/boundary",
    },
    WorkloadServiceAccount: {
        "account_id": "ingest-api",
        "project": "acme-data-dev",
        "environment": "dev",
        "kind": "cloud-run",
        "deployers": ["group:release@acme.example"],
    },
    SecureBucket: {
        "bucket": "acme-dev-lake",
        "account_id": ACCOUNT,
        "region": "eu-west-1",
        "role_path": "/gcp-federation/dev/",
        "existing_kms_key_arn": KEY,
        "admin_principal_arns": [f"arn:aws:iam::{ACCOUNT}:role/break-glass"],
    },
    CloudRunService: {
        "service": {"image": "europe-docker.pkg.dev/p/r/app:1"},
        "service_account_email": "ingest-api@acme-data-dev.iam.gserviceaccount.com",
        "environment": {},
        "project": "acme-data-dev",
        "region": "europe-west1",
    },
    DataprocCluster: {
        "cluster": {},
        "service_account_email": "etl@acme-data-dev.iam.gserviceaccount.com",
        "role_arn": f"arn:aws:iam::{ACCOUNT}:role/gcpfed-dev-etl",
        "session_name": "etl@acme-data-dev",
        "audience": "gcp-s3-federation-dev",
        "project": "acme-data-dev",
        "region": "europe-west1",
        "aws_region": "eu-west-1",
        "bucket_keys": {},
    },
    AuditTrail: {
        "trail_name": "gcp-federation-dev",
        "log_bucket": "gcp-federation-dev-audit-111122223333",
        "account_id": ACCOUNT,
        "region": "eu-west-1",
        "data_buckets": ["acme-dev-lake"],
    },
    GoogleOidcProvider: {"client_ids": ["gcp-s3-federation-dev"]},
    GcpTrustGuard: {"project": "acme-data-dev", "key_creation_constraints": ["iam.disableServiceAccountKeyCreation"]},
}


@dataclass(frozen=True)
class Field:
    """One field rule as both doors name it: the config path and each component argument path."""

    name: str
    config_path: str
    arguments: tuple[tuple[type[pulumi.ComponentResource], str], ...]
    bad: st.SearchStrategy[Any]
    prepare: Callable[[dict[str, Any]], None] = lambda federation: None


def _adopt_first_bucket(federation: dict[str, Any]) -> None:
    federation["buckets"][0].update(mode="adopt", kms_key_arn=KEY)


def _oidc_mode(federation: dict[str, Any]) -> None:
    federation["trust"]["mode"] = "oidc-provider"


def _with_a_deployer(federation: dict[str, Any]) -> None:
    federation["gcp"]["deployers"] = ["group:release@acme.example"]


def _with_boundary_and_admins(federation: dict[str, Any]) -> None:
    federation["admin_principal_arns"] = [f"arn:aws:iam::{ACCOUNT}:role/break-glass"]


def _values(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(values)


# The bad values the issue lists, plus generated ones of the same kinds.
FIELDS = (
    Field(
        "bucket name",
        "buckets[0].name",
        ((SecureBucket, "bucket"), (PrefixAccessPolicy, "grants[0].bucket"), (FederatedWorkload, "grants[0].bucket")),
        _values("", "A", "Upper-Case", "a..b", "192.168.0.1", "xn--lake", "lake-s3alias")
        | st.from_regex(r"[a-z]{3,8}_[a-z]{1,4}", fullmatch=True),
    ),
    Field(
        "prefix",
        "workloads[0].grants[0].prefix",
        ((PrefixAccessPolicy, "grants[0].prefix"), (FederatedWorkload, "grants[0].prefix")),
        _values("*", "", "a/../b/", "/raw/", "raw", "raw//x/", "raw/${aws:username}/", "raw /")
        | st.from_regex(r"[a-z]{1,6}[*?][a-z]{0,3}/", fullmatch=True),
    ),
    Field(
        "access level",
        "workloads[0].grants[0].access",
        ((PrefixAccessPolicy, "grants[0].access"), (FederatedWorkload, "grants[0].access")),
        _values("reed", "READ", "readwrite", "", "admin", 1),
    ),
    Field(
        "service account id",
        "workloads[0].service_account_id",
        ((FederatedWorkload, "service_account_id"), (WorkloadServiceAccount, "account_id")),
        _values("Bad_Id", "ab", "1starts-with-digit", "ends-with-", "a" * 31)
        | st.from_regex(r"[A-Z][a-z0-9]{5,10}", fullmatch=True),
    ),
    Field(
        "audience",
        "trust.audience",
        ((FederatedRole, "audience"), (FederatedWorkload, "audience"), (DataprocCluster, "audience")),
        _values("*", "", " ", "aud-*", "${aws:username}", "two words", "a" * 256),
    ),
    Field(
        "session duration",
        "sessions.max_duration_seconds",
        ((FederatedRole, "max_session_duration"), (FederatedWorkload, "max_session_duration")),
        _values(46800, 3599, 0, -1) | st.integers(min_value=43201, max_value=10**6),
    ),
    Field(
        "KMS key ARN",
        "buckets[0].kms_key_arn",
        (
            (SecureBucket, "existing_kms_key_arn"),
            (PrefixAccessPolicy, "grants[0].kms_key_arn"),
            (FederatedWorkload, "grants[0].kms_key_arn"),
        ),
        _values(
            f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/lake",
            f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/*",
            "alias/lake",
            "0f0e0d0c-0b0a-4909-8807-060504030201",
            "",
        ),
        _adopt_first_bucket,
    ),
    Field(
        "AWS region",
        "aws.region",
        (
            (FederatedWorkload, "aws_region"),
            (PrefixAccessPolicy, "region"),
            (SecureBucket, "region"),
            (DataprocCluster, "aws_region"),
            (AuditTrail, "region"),
        ),
        _values("mars-1", "", "EU-WEST-1", "eu-west", "europe-west1")
        | st.from_regex(r"[a-z]{4,6}-[0-9]", fullmatch=True),
    ),
    Field(
        "GCP region",
        "gcp.region",
        ((FederatedWorkload, "gcp_region"), (CloudRunService, "region"), (DataprocCluster, "region")),
        _values("garbage", "", "europe-west1-b", "Europe-West1", "eu-west-1"),
    ),
    Field(
        "GCP project",
        "gcp.project",
        (
            (FederatedWorkload, "gcp_project"),
            (WorkloadServiceAccount, "project"),
            (CloudRunService, "project"),
            (GcpTrustGuard, "project"),
        ),
        _values("Acme", "abc", "1acme-data", "acme_data_dev"),
    ),
    Field(
        "environment",
        "environment",
        ((FederatedWorkload, "environment"), (WorkloadServiceAccount, "environment")),
        _values("", "Dev", "d", "prod-", "a" * 17),
    ),
    Field(
        "AWS account id",
        "aws.account_id",
        ((SecureBucket, "account_id"), (AuditTrail, "account_id")),
        _values("11122223333", "0111222233334", "abcdefghijkl", ""),
    ),
    Field(
        "workload kind",
        "workloads[2].kind",
        ((FederatedWorkload, "kind"), (WorkloadServiceAccount, "kind")),
        _values("cloudrun", "Cloud-Run", "lambda", ""),
    ),
    Field(
        "container image",
        "workloads[0].cloud_run.image",
        ((FederatedWorkload, "cloud_run.image"), (CloudRunService, "service.image")),
        _values("", " ", "my image:1"),
    ),
    Field(
        "Cloud Run ingress",
        "workloads[0].cloud_run.ingress",
        ((FederatedWorkload, "cloud_run.ingress"), (CloudRunService, "service.ingress")),
        _values("INGRESS_TRAFFIC_PUBLIC", "all", ""),
    ),
    Field(
        "deployer",
        "gcp.deployers[0]",
        ((FederatedWorkload, "deployers[0]"), (WorkloadServiceAccount, "deployers[0]")),
        _values("allUsers", "allAuthenticatedUsers", "user:*", "alice@example.com", "deleted:user:a@b.c"),
        _with_a_deployer,
    ),
    Field(
        "permissions boundary",
        "permissions_boundary_arn",
        ((FederatedRole, "permissions_boundary_arn"), (FederatedWorkload, "permissions_boundary_arn")),
        _values("boundary", f"arn:aws:iam::{ACCOUNT}:role/boundary", "arn:aws:iam::*:policy/x"),
    ),
    Field(
        "admin principal",
        "admin_principal_arns[0]",
        ((SecureBucket, "admin_principal_arns[0]"),),
        _values(f"arn:aws:iam::{ACCOUNT}:role/*", "*", f"arn:aws:iam::{ACCOUNT}:root"),
        _with_boundary_and_admins,
    ),
    Field(
        "OIDC provider ARN",
        "trust.oidc_provider_arn",
        ((GoogleOidcProvider, "existing_arn"),),
        _values(f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com", "accounts.google.com"),
        _oidc_mode,
    ),
)


def _parse(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.replace("]", "").split("."):
        name, *indexes = piece.split("[")
        parts.append(name)
        parts.extend(int(i) for i in indexes)
    return parts


def _set(document: Any, path: str, value: Any) -> None:
    *parents, last = _parse(path)
    for part in parents:
        document = document[part]
    document[last] = value


def _config_rule(field: Field, value: Any) -> str:
    federation = copy.deepcopy(stack_config("dev")[CONFIG_KEY])
    field.prepare(federation)
    _set(federation, field.config_path, value)
    with pytest.raises(ConfigError) as caught:
        load_config(federation)
    rules = [p.removeprefix(f"{field.config_path}: ") for p in caught.value.problems]
    named = [r for r, p in zip(rules, caught.value.problems, strict=True) if p.startswith(f"{field.config_path}: ")]
    assert named, f"config door did not name {field.config_path}: {caught.value.problems}"
    return named[0]


def _construct(component: type[pulumi.ComponentResource], args: dict[str, Any]) -> tuple[Any, list[Any]]:
    """The ArgumentError the component raised (or None) and every resource registered meanwhile."""
    caught: list[ArgumentError] = []

    def body() -> None:
        try:
            cast(Any, component)("subject", args)
        except ArgumentError as error:
            caught.append(error)

    result = run_under_mocks(body)
    return (caught[0] if caught else None), result.resources


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_both_doors_reject_identically_before_any_resource(field: Field, data: st.DataObject) -> None:
    value = data.draw(field.bad, label=field.name)
    rule = _config_rule(field, value)
    for component, argument in field.arguments:
        args = copy.deepcopy(VALID[component])
        _set(args, argument, value)
        error, registered = _construct(component, args)
        assert error is not None, f"{component.__name__}({argument}={value!r}) was accepted"
        assert error.field == argument
        assert error.rule == rule, (component.__name__, error.rule, rule)
        assert str(error).startswith(f"{component.__name__}({argument}={value!r}): {argument} ")
        assert registered == [], f"{component.__name__} registered {len(registered)} resources before failing"


def test_every_public_component_is_driven() -> None:
    assert set(COMPONENTS) == set(VALID)


@pytest.mark.parametrize("component", list(VALID), ids=[c.__name__ for c in VALID])
def test_valid_arguments_register(component: type[pulumi.ComponentResource]) -> None:
    """The baseline the bad values are measured against: the valid arguments pass."""
    error, registered = _construct(component, copy.deepcopy(VALID[component]))
    assert error is None
    assert any(r.type.startswith("gcp-s3-federation:index:") for r in registered)


def test_output_values_are_checked_when_they_resolve() -> None:
    """An Output is not known at construction: the checked value fails the deployment, never widens."""
    failures: list[str] = []

    def body() -> None:
        grant = dict(GRANT, kms_key_arn=pulumi.Output.from_input(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/*"))
        PrefixAccessPolicy("subject", {"role_name": "r", "grants": [grant], "region": "eu-west-1"})  # type: ignore[list-item]

    with pytest.raises(Exception) as caught:
        run_under_mocks(body)
    failures.append(str(caught.value))
    assert "PrefixAccessPolicy(grants[0].kms_key_arn=" in failures[0]
    assert "must be a full KMS key ARN" in failures[0]


@pytest.mark.parametrize(
    ("region", "partition"), [("eu-west-1", "aws"), ("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")]
)
def test_partition_reaches_every_arn(region: str, partition: str) -> None:
    assert partition_for_region(region) == partition
    key = f"arn:{partition}:kms:{region}:{ACCOUNT}:key/0f0e0d0c-0b0a-4909-8807-060504030201"

    def body() -> None:
        SecureBucket(
            "lake",
            {"bucket": "lake-data", "account_id": ACCOUNT, "region": region, "role_path": "/p/"},
        )
        grant = dict(GRANT, bucket="lake-data", kms_key_arn=key)
        PrefixAccessPolicy("etl", {"role_name": "r", "grants": [grant], "region": region})  # type: ignore[list-item]

    result = run_under_mocks(body, cloud=CloudMocks(ACCOUNT, region))
    rendered = " ".join(str(r.inputs) for r in result.resources if r.custom)
    arns = [word for word in rendered.replace('"', " ").replace("'", " ").split() if word.startswith("arn:")]
    assert arns
    assert all(arn.startswith(f"arn:{partition}:") for arn in arns), sorted(set(arns))


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize(("region", "partition"), [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")])
def test_whole_stack_in_another_partition_renders_no_aws_arn(stack: str, region: str, partition: str) -> None:
    config = copy.deepcopy(stack_config(stack))
    federation = config[CONFIG_KEY]
    federation["aws"]["region"] = region

    def moved(arn: str) -> str:
        return re.sub(r"^arn:aws:kms:[a-z0-9-]+:", f"arn:{partition}:kms:{region}:", arn).replace(
            "arn:aws:", f"arn:{partition}:"
        )

    for bucket in federation["buckets"]:
        if bucket.get("kms_key_arn"):
            bucket["kms_key_arn"] = moved(bucket["kms_key_arn"])
    if federation.get("permissions_boundary_arn"):
        federation["permissions_boundary_arn"] = moved(federation["permissions_boundary_arn"])
    federation["admin_principal_arns"] = [moved(a) for a in federation.get("admin_principal_arns", [])]
    result = run_program(stack, config)
    rendered = json.dumps([r.inputs for r in result.custom_resources]) + json.dumps(result.outputs)
    assert f"arn:{partition}:" in rendered
    assert re.findall(r"arn:aws:[a-z0-9-]*:[^\"\s,]*", rendered) == []
