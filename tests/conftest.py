"""Shared fixtures: stack configs and loopback servers."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tools.loopback import FakeIam, FakeMetadata, start_moto
from tools.mock_cloud import CONFIG_KEY, stack_config


@pytest.fixture
def dev_federation() -> dict[str, Any]:
    """A fresh, mutable copy of the dev stack's `federation` value."""
    return copy.deepcopy(stack_config("dev")[CONFIG_KEY])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 for the whole session (real AWS API shapes over HTTP)."""
    process, endpoint = start_moto()
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def metadata(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fake metadata server; GCE_METADATA_HOST points at it."""
    fake = FakeMetadata()
    server, host = fake.start()
    monkeypatch.setenv("GCE_METADATA_HOST", host)
    yield fake
    server.shutdown()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every AWS SDK call in the test goes to the loopback moto server, with no ambient credentials."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_endpoint


@pytest.fixture
def iam(metadata: FakeMetadata, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIam]:
    """A fake IAM getIamPolicy on 127.0.0.1 for the metadata server's account, whose policy grants
    roles/iam.serviceAccountUser to one deployer group; GCP_AWS_IAM_ENDPOINT points at it."""
    fake = FakeIam(
        policies={
            metadata.email: {
                "bindings": [
                    {"role": "roles/iam.serviceAccountUser", "members": ["group:data-platform-dev@acme.example"]}
                ]
            }
        }
    )
    server, endpoint = fake.start()
    monkeypatch.setenv("GCP_AWS_IAM_ENDPOINT", endpoint)
    yield fake
    server.shutdown()
