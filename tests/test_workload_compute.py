"""Cloud Run components under mocks, and compute blocks matching the workload kind (Dataproc: test_dataproc.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tools.mock_cloud import CONFIG_KEY, PlanResult, RecordedResource, run_program, stack_config


@pytest.fixture(scope="module")
def dev() -> PlanResult:
    return run_program("dev", stack_config("dev"))


def _one(result: PlanResult, typ: str, name: str) -> RecordedResource:
    (found,) = [r for r in result.resources if r.type == typ and r.name == name]
    return found


def test_cloud_run_runs_as_its_service_account_with_env_and_no_secret(dev: PlanResult) -> None:
    service = _one(dev, "gcp:cloudrunv2/service:Service", "ingest-api").inputs
    assert service["template"]["serviceAccount"] == "ingest-api@acme-data-dev.iam.gserviceaccount.com"
    envs = {e["name"]: e["value"] for e in service["template"]["containers"][0]["envs"]}
    assert envs == {
        "AWS_REGION": "eu-west-1",
        "AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/gcp-federation/dev/gcpfed-dev-ingest-api",
        "AWS_ROLE_SESSION_NAME": "ingest-api@acme-data-dev",
        "GCP_AWS_AUDIENCE": "gcp-s3-federation-dev",
        "GCP_AWS_DURATION_SECONDS": "3600",
    }
    assert service["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert service["deletionProtection"] is True
    assert service["template"]["scaling"] == {"minInstanceCount": 0, "maxInstanceCount": 10}
    assert service["labels"] == {"environment": "dev", "workload": "ingest-api", "managed-by": "gcp-s3-federation"}


def test_cloud_run_defaults_are_overridable() -> None:
    config = stack_config("dev")
    config[CONFIG_KEY]["workloads"][0]["cloud_run"].update(
        ingress="INGRESS_TRAFFIC_ALL", min_instances=1, max_instances=3, deletion_protection=False
    )
    service = _one(run_program("dev", config), "gcp:cloudrunv2/service:Service", "ingest-api").inputs
    assert service["ingress"] == "INGRESS_TRAFFIC_ALL" and service["deletionProtection"] is False
    assert service["template"]["scaling"] == {"minInstanceCount": 1, "maxInstanceCount": 3}


def test_bring_your_own_cloud_run_service() -> None:
    config = stack_config("dev")
    del config[CONFIG_KEY]["workloads"][0]["cloud_run"]
    result = run_program("dev", config)
    assert not [r for r in result.resources if r.type == "gcp:cloudrunv2/service:Service"]
    command = result.outputs["workloads"]["ingest-api"]["compute"]["bring_your_own"]
    assert command.startswith(
        "gcloud run services update ingest-api --region europe-west1 "
        "--service-account ingest-api@acme-data-dev.iam.gserviceaccount.com --update-env-vars "
    )
    assert "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/gcp-federation/dev/gcpfed-dev-ingest-api" in command


def test_compute_blocks_must_match_kind() -> None:
    from gcp_s3_federation.config import ConfigError, load_config

    raw: dict[str, Any] = stack_config("dev")[CONFIG_KEY]
    raw["workloads"][2]["dataproc"] = {}
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    assert caught.value.problems == ["workloads[2]: dataproc is only valid with kind: dataproc"]
