"""One contract for the workload environment: what the components render is what the runtime reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import gcp_aws_credentials
from gcp_aws_credentials import environment, session_from_environment
from gcp_aws_credentials.cli import main as cli_main
from gcp_aws_credentials.environment import WorkloadEnvironment
from gcp_aws_credentials.errors import WorkloadEnvironmentError
from gcp_s3_federation.s3a import JVM_ENV_PREFIXES, TOKEN_FILE
from tools.loopback import FakeMetadata
from tools.mock_cloud import PlanResult, run_program, stack_config

ROLE_PATH = "arn:aws:iam::111122223333:role/gcp-federation/dev/"


@pytest.fixture(scope="module")
def planned() -> PlanResult:
    return run_program("dev", stack_config("dev"))


def _inputs(planned: PlanResult, typ: str, name: str) -> dict[str, Any]:
    return next(r.inputs for r in planned.resources if r.type == typ and r.name == name)


def cloud_run_env(planned: PlanResult) -> dict[str, str]:
    service = _inputs(planned, "gcp:cloudrunv2/service:Service", "ingest-api")
    return {e["name"]: e["value"] for e in service["template"]["containers"][0]["envs"]}


def test_cloud_run_env_feeds_the_runtime(
    planned: PlanResult, metadata: FakeMetadata, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered = cloud_run_env(planned)
    assert set(rendered) == {
        environment.ROLE_ARN,
        environment.SESSION_NAME,
        environment.REGION,
        environment.AUDIENCE,
        environment.DURATION_SECONDS,
    }
    for name, value in rendered.items():
        monkeypatch.setenv(name, value)
    read = WorkloadEnvironment.from_environ(rendered)
    assert read.variables() == rendered
    assert read == WorkloadEnvironment(
        role_arn=f"{ROLE_PATH}gcpfed-dev-ingest-api",
        session_name="ingest-api@acme-data-dev",
        region="eu-west-1",
        audience="gcp-s3-federation-dev",
        duration_seconds=3600,
    )
    caller = session_from_environment().client("sts").get_caller_identity()["Arn"]
    assert caller.endswith(":assumed-role/gcpfed-dev-ingest-api/ingest-api@acme-data-dev")
    assert metadata.requests[-1]["query"]["audience"] == "gcp-s3-federation-dev"


def test_dataproc_env_feeds_the_token_file_writer(planned: PlanResult, metadata: FakeMetadata, tmp_path: Path) -> None:
    cluster = _inputs(planned, "gcp:dataproc/cluster:Cluster", "nightly-etl")
    properties = cluster["clusterConfig"]["softwareConfig"]["overrideProperties"]
    for prefix in JVM_ENV_PREFIXES:
        rendered = {k.removeprefix(prefix): v for k, v in properties.items() if k.startswith(prefix)}
        read = WorkloadEnvironment.from_environ(rendered, require_audience=False)
        assert read.variables() == rendered
        assert (read.role_arn, read.token_file) == (f"{ROLE_PATH}gcpfed-dev-nightly-etl", TOKEN_FILE)
        assert read.session_name == "nightly-etl@acme-data-dev" and read.region == "eu-west-1"
    token = tmp_path / "token"
    with pytest.MonkeyPatch.context() as patch:  # the token file path comes from the rendered env
        patch.setenv(environment.TOKEN_FILE, str(token))
        patch.setenv(environment.AUDIENCE, "gcp-s3-federation-dev")
        assert cli_main(["token-file", "--once"]) == 0
    assert token.read_text() == metadata.tokens[-1]


@pytest.mark.parametrize(
    ("environ", "code", "message"),
    [
        ({}, "environment-missing", "AWS_ROLE_ARN, GCP_AWS_AUDIENCE are not set"),
        ({"AWS_ROLE_ARN": f"{ROLE_PATH}r"}, "environment-missing", "GCP_AWS_AUDIENCE is not set"),
        ({"AWS_ROLE_ARN": "gcpfed-dev-r", "GCP_AWS_AUDIENCE": "a"}, "environment-invalid", "must be an IAM role ARN"),
        (
            {"AWS_ROLE_ARN": f"{ROLE_PATH}r", "GCP_AWS_AUDIENCE": "a", "GCP_AWS_DURATION_SECONDS": "1h"},
            "environment-invalid",
            "GCP_AWS_DURATION_SECONDS must be whole seconds in 900..43200, got '1h'",
        ),
    ],
)
def test_bad_environment_is_a_structured_error(environ: dict[str, str], code: str, message: str) -> None:
    with pytest.raises(WorkloadEnvironmentError, match=message) as caught:
        WorkloadEnvironment.from_environ(environ)
    assert caught.value.code == code and caught.value.fix


def test_the_default_region_name_is_a_fallback() -> None:
    base = {"AWS_ROLE_ARN": f"{ROLE_PATH}r", "GCP_AWS_AUDIENCE": "a"}
    assert WorkloadEnvironment.from_environ({**base, "AWS_DEFAULT_REGION": "eu-west-3"}).region == "eu-west-3"
    both = {**base, "AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-1"}
    assert WorkloadEnvironment.from_environ(both).region == "eu-west-1"


def test_components_import_the_contract_without_boto3() -> None:
    code = (
        "import sys, gcp_s3_federation, gcp_s3_federation.workload, gcp_s3_federation.dataproc;"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'));"
        "assert not loaded, loaded;"
        "assert 'gcp_aws_credentials.environment' in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_lazy_package_exports_resolve() -> None:
    for name in gcp_aws_credentials.__all__:
        assert getattr(gcp_aws_credentials, name).__name__ == name
    with pytest.raises(AttributeError):
        _ = gcp_aws_credentials.nothing_here
