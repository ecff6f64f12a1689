"""Reuse: the component package schema, the examples, and explicit providers across accounts."""

from __future__ import annotations

import json
import runpy
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pytest
import yaml
from pulumi.provider.experimental.component import ComponentProvider

from gcp_s3_federation import (
    COMPONENTS,
    FederatedWorkload,
    FederatedWorkloadArgs,
    GrantArgs,
    SecureBucket,
    SecureBucketArgs,
    __version__,
)
from tools.mock_cloud import REPO_ROOT, CloudMocks, PlanResult, run_program, run_under_mocks, stack_config

EXAMPLE = REPO_ROOT / "examples" / "existing-bucket-cloud-run"
YAML_EXAMPLE = REPO_ROOT / "examples" / "yaml-cloud-run" / "Pulumi.yaml"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    provider = ComponentProvider(list(COMPONENTS), "gcp-s3-federation", version=__version__)
    schema: dict[str, Any] = json.loads(str(provider.schema))
    return schema


def test_schema_has_every_component_with_documented_inputs_and_outputs(schema: dict[str, Any]) -> None:
    resources = schema["resources"]
    assert set(resources) == {f"gcp-s3-federation:index:{c.__name__}" for c in COMPONENTS}
    for token, resource in resources.items():
        assert resource["isComponent"] is True and resource["description"], token
        assert resource["inputProperties"] and resource["properties"], token
        undocumented = [
            k for k, v in {**resource["inputProperties"], **resource["properties"]}.items() if not v.get("description")
        ]
        assert undocumented == [], f"{token}: {undocumented}"
    workload = resources["gcp-s3-federation:index:FederatedWorkload"]
    assert set(workload["requiredInputs"]) == {
        "kind",
        "serviceAccountId",
        "gcpProject",
        "environment",
        "awsRegion",
        "principal",
        "audience",
        "grants",
        "rolePath",
    }
    assert set(workload["properties"]) == {
        "roleArn",
        "serviceAccountEmail",
        "serviceAccountUniqueId",
        "serviceAccountIamPolicy",
        "sessionName",
        "environmentVariables",
        "compute",
    }
    assert set(schema["types"]["gcp-s3-federation:index:GrantArgs"]["properties"]) == {
        "bucket",
        "prefix",
        "access",
        "kmsKeyArn",
        "listExactPrefix",
    }


def test_provider_plugin_is_python_and_guarded() -> None:
    plugin = yaml.safe_load((REPO_ROOT / "provider" / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    namespace = runpy.run_path(str(REPO_ROOT / "provider" / "__main__.py"), run_name="imported")
    assert namespace["PACKAGE_NAME"] == "gcp-s3-federation"


def test_yaml_example_uses_only_schema_inputs(schema: dict[str, Any]) -> None:
    program = yaml.safe_load(YAML_EXAMPLE.read_text())
    used = {name: r for name, r in program["resources"].items() if r["type"].startswith("gcp-s3-federation:")}
    assert used
    for name, resource in used.items():
        spec = schema["resources"][resource["type"]]
        assert set(resource["properties"]) <= set(spec["inputProperties"]), name
        assert set(spec["requiredInputs"]) <= set(resource["properties"]), name
        grant_fields = set(schema["types"]["gcp-s3-federation:index:GrantArgs"]["properties"])
        assert all(set(g) <= grant_fields for g in resource["properties"].get("grants", []))


def _example_plan() -> PlanResult:
    return run_program(
        "example",
        stack_config("example", EXAMPLE),
        program=EXAMPLE / "__main__.py",
        project="federate-existing-bucket",
        cloud=CloudMocks("444455556666", "eu-west-1"),
    )


def test_example_federates_an_existing_bucket_offline() -> None:
    result = _example_plan()
    types = sorted(r.type for r in result.custom_resources)
    assert types == [
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "gcp:cloudrunv2/service:Service",
        "gcp:serviceaccount/account:Account",
        "gcp:serviceaccount/iAMPolicy:IAMPolicy",
    ]
    providers = {r.name: r.urn for r in result.resources if r.type.startswith("pulumi:providers:")}
    for resource in result.custom_resources:
        expected = providers["data-account"] if resource.type.startswith("aws:") else providers["workload-project"]
        assert resource.provider.startswith(expected + "::"), resource.name
    assert (
        result.outputs["role_arn"] == "arn:aws:iam::444455556666:role/gcp-federation/example/gcpfed-example-reports-api"
    )
    policy = json.loads(result.outputs["bucket_policy_for_the_owner_to_merge"])
    fence = {s["Sid"]: s for s in policy["Statement"]}["DenyDataAccessOutsideFederationPath"]
    assert fence["Resource"] == "arn:aws:s3:::acme-shared-reports/*"


def test_one_stack_two_accounts_two_projects() -> None:
    def body() -> None:
        aws_a = aws.Provider("aws-data-a", region="eu-west-1", allowed_account_ids=["111111111111"])
        aws_b = aws.Provider("aws-data-b", region="us-east-1", allowed_account_ids=["222222222222"])
        gcp_a = gcp.Provider("gcp-project-a", project="project-alpha")
        gcp_b = gcp.Provider("gcp-project-b", project="project-bravo")
        for suffix, aws_p, gcp_p, account, region, project in (
            ("a", aws_a, gcp_a, "111111111111", "eu-west-1", "project-alpha"),
            ("b", aws_b, gcp_b, "222222222222", "us-east-1", "project-bravo"),
        ):
            lake = SecureBucket(
                f"lake-{suffix}",
                SecureBucketArgs(
                    bucket=f"lake-{suffix}-data", account_id=account, region=region, role_path="/gcp-federation/multi/"
                ),
                opts=pulumi.ResourceOptions(provider=aws_p),
            )
            FederatedWorkload(
                f"etl-{suffix}",
                FederatedWorkloadArgs(
                    kind="service-account-only",
                    service_account_id=f"etl-{suffix}-runner",
                    gcp_project=project,
                    environment="multi",
                    aws_region=region,
                    principal="accounts.google.com",
                    audience="aud",
                    grants=[
                        GrantArgs(
                            bucket=f"lake-{suffix}-data", prefix="in/", access="read", kms_key_arn=lake.kms_key_arn
                        )
                    ],
                    role_path="/gcp-federation/multi/",
                ),
                opts=pulumi.ResourceOptions(providers={"aws": aws_p, "gcp": gcp_p}),
            )

    result = run_under_mocks(body)
    providers = {r.urn: r.name for r in result.resources if r.type.startswith("pulumi:providers:")}

    def provider_of(name: str, typ: str) -> str:
        (resource,) = [r for r in result.resources if r.name == name and r.type == typ]
        return providers[resource.provider.rsplit("::", 1)[0]]

    for suffix in ("a", "b"):
        assert provider_of(f"etl-{suffix}", "aws:iam/role:Role") == f"aws-data-{suffix}"
        assert provider_of(f"etl-{suffix}", "aws:iam/rolePolicy:RolePolicy") == f"aws-data-{suffix}"
        assert provider_of(f"etl-{suffix}", "gcp:serviceaccount/account:Account") == f"gcp-project-{suffix}"
        assert provider_of(f"lake-{suffix}-data".removesuffix("-data"), "aws:s3/bucket:Bucket") == f"aws-data-{suffix}"
        assert provider_of(f"lake-{suffix}-key", "aws:kms/key:Key") == f"aws-data-{suffix}"


def test_package_metadata_is_versioned() -> None:
    text = (REPO_ROOT / "pyproject.toml").read_text()
    assert f'version = "{__version__}"' in text
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text()
    assert f"## [{__version__}]" in changelog
    assert (REPO_ROOT / "components" / "gcp_s3_federation" / "py.typed").exists()
