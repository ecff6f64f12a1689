"""Cloud Run and Dataproc components under mocks, and the Dataproc init action against a temp root."""

from __future__ import annotations

import grp
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gcp_aws_credentials import decode_claims
from gcp_s3_federation.dataproc import (
    SDK_V1_PROVIDER,
    SDK_V2_PROVIDER,
    credentials_provider_class,
    init_action_script,
    s3a_properties,
    staging_bucket_name,
)
from tools.loopback import FakeMetadata
from tools.mock_cloud import CONFIG_KEY, PlanResult, RecordedResource, run_program, stack_config

KEY = "arn:aws:kms:eu-west-1:111122223333:key/0b6c1f5e-7d2a-4c4e-9a51-2f3e8d9c1a7b"
ROLE = "arn:aws:iam::111122223333:role/gcp-federation/dev/gcpfed-dev-nightly-etl"


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


def test_dataproc_cluster_identity_network_and_init_action(dev: PlanResult) -> None:
    cluster = _one(dev, "gcp:dataproc/cluster:Cluster", "nightly-etl").inputs["clusterConfig"]
    gce = cluster["gceClusterConfig"]
    assert gce["serviceAccount"] == "nightly-etl@acme-data-dev.iam.gserviceaccount.com"
    assert gce["internalIpOnly"] is True
    staging = _one(dev, "gcp:storage/bucket:Bucket", "nightly-etl-staging").inputs
    assert staging["uniformBucketLevelAccess"] is True and staging["publicAccessPrevention"] == "enforced"
    assert cluster["stagingBucket"] == staging["name"] == "acme-data-dev-nightly-etl-dataproc"
    init = _one(dev, "gcp:storage/bucketObject:BucketObject", "nightly-etl-init").inputs
    assert cluster["initializationActions"] == [{"script": f"gs://{staging['name']}/{init['name']}", "timeoutSec": 600}]
    assert "readonly AUDIENCE=gcp-s3-federation-dev" in init["content"]


def test_dataproc_properties_reach_every_jvm(dev: PlanResult) -> None:
    cluster = _one(dev, "gcp:dataproc/cluster:Cluster", "nightly-etl").inputs["clusterConfig"]
    properties = cluster["softwareConfig"]["overrideProperties"]
    for prefix in ("spark-env:", "spark:spark.executorEnv.", "spark:spark.yarn.appMasterEnv.", "hadoop-env:"):
        assert properties[f"{prefix}AWS_ROLE_ARN"] == ROLE
        assert properties[f"{prefix}AWS_WEB_IDENTITY_TOKEN_FILE"] == "/run/gcp-aws/token"
        assert properties[f"{prefix}AWS_ROLE_SESSION_NAME"] == "nightly-etl@acme-data-dev"
    assert properties["core:fs.s3a.aws.credentials.provider"] == SDK_V1_PROVIDER
    assert properties["core:fs.s3a.bucket.acme-dev-lake.encryption.algorithm"] == "SSE-KMS"
    assert properties["core:fs.s3a.bucket.acme-dev-lake.encryption.key"].startswith("arn:aws:kms:eu-west-1:")
    assert properties["core:fs.s3a.bucket.acme-dev-lake.endpoint.region"] == "eu-west-1"
    assert not any("secret" in k.lower() or "access.key" in k for k in properties)


@pytest.mark.parametrize(
    ("image", "provider"),
    [("2.3-debian12", SDK_V1_PROVIDER), ("2.2", SDK_V1_PROVIDER), ("3.0-debian12", SDK_V2_PROVIDER)],
)
def test_provider_class_follows_image_generation(image: str, provider: str) -> None:
    assert credentials_provider_class(image) == provider
    assert s3a_properties(ROLE, "s@p", image, "eu-west-1", {})["core:fs.s3a.aws.credentials.provider"] == provider


def test_hadoop_aws_package_is_opt_in() -> None:
    assert "spark:spark.jars.packages" not in s3a_properties(ROLE, "s@p", "2.3", "eu-west-1", {"b": KEY})
    with_package = s3a_properties(ROLE, "s@p", "2.3", "eu-west-1", {"b": KEY}, "org.apache.hadoop:hadoop-aws:3.3.6")
    assert with_package["spark:spark.jars.packages"] == "org.apache.hadoop:hadoop-aws:3.3.6"


def test_staging_bucket_name_is_valid_for_long_names() -> None:
    name = staging_bucket_name("p" * 30, "w" * 39 + "-x")
    assert len(name) <= 63 and name[-1].isalnum()


def test_compute_blocks_must_match_kind() -> None:
    from gcp_s3_federation.config import ConfigError, load_config

    raw: dict[str, Any] = stack_config("dev")[CONFIG_KEY]
    raw["workloads"][2]["dataproc"] = {}
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    assert caught.value.problems == ["workloads[2]: dataproc is only valid with kind: dataproc"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="the init action is a bash script")
def test_init_action_against_a_temp_root(metadata: FakeMetadata, tmp_path: Path) -> None:
    script = tmp_path / "init.sh"
    script.write_text(init_action_script("gcp-s3-federation-dev", "gcp-aws-credentials==0.1.0"))
    cli = shutil.which("gcp-aws-credentials") or str(Path(sys.executable).parent / "gcp-aws-credentials")
    root = tmp_path / "root"
    group = grp.getgrgid(os.getgid()).gr_name
    env = {**os.environ, "GCP_AWS_ROOT": str(root), "GCP_AWS_CLI": cli, "GCP_AWS_GROUP": group}
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    token_dir = root / "run/gcp-aws"
    assert stat.S_IMODE(token_dir.stat().st_mode) == 0o2750
    token = token_dir / "token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o640
    assert decode_claims(token.read_text())["aud"] == "gcp-s3-federation-dev"
    unit = (root / "etc/systemd/system/gcp-aws-token.service").read_text()
    assert (
        f"ExecStart={cli} token-file --audience gcp-s3-federation-dev --path /run/gcp-aws/token "
        "--interval 300 --mode 0640"
    ) in unit
    assert "Restart=always" in unit
    assert json.dumps(metadata.requests[0]["query"]) == '{"audience": "gcp-s3-federation-dev", "format": "full"}'
