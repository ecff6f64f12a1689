"""The runtime package on loopback: fake metadata server, moto for STS/S3/KMS, and refusing STS stubs."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from gcp_aws_credentials import (
    FederationError,
    MetadataError,
    MetadataTokenSource,
    WebIdentityExchange,
    decode_claims,
    federated_session,
    session_name_from_email,
)
from gcp_aws_credentials.session import session_with_credentials
from gcp_aws_credentials.token_file import refresh_forever, write_atomically
from gcp_s3_federation.naming import session_name
from tools.loopback import FakeMetadata, aws_error_server, free_port, shifted_time_credentials

ROLE_ARN = "arn:aws:iam::123456789012:role/gcp-federation/dev/gcpfed-dev-etl"
AUDIENCE = "gcp-s3-federation-dev"
CLI = shutil.which("gcp-aws-credentials") or str(Path(sys.executable).parent / "gcp-aws-credentials")


def _admin() -> boto3.Session:
    """The test harness's own access to moto (sets up buckets and keys; never used by the workload)."""
    return boto3.Session(aws_access_key_id="harness", aws_secret_access_key="harness", region_name="eu-west-1")


@pytest.fixture
def bucket_and_key(aws_env: str) -> tuple[str, str]:
    admin = _admin()
    key_arn = admin.client("kms").create_key(Description="lake")["KeyMetadata"]["Arn"]
    name = f"lake-{os.urandom(4).hex()}"
    admin.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return name, key_arn


def _round_trip(session: boto3.Session, bucket: str, key_arn: str, key: str = "raw/events/a.json") -> bytes:
    s3 = session.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=b'{"ok": true}', ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key_arn
    body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


# --- token source --------------------------------------------------------------------------------


def test_token_source_asks_for_audience_in_full_format(metadata: FakeMetadata) -> None:
    token = MetadataTokenSource(AUDIENCE)()
    assert metadata.requests == [
        {
            "path": "/computeMetadata/v1/instance/service-accounts/default/identity",
            "query": {"audience": AUDIENCE, "format": "full"},
            "flavor": "Google",
        }
    ]
    assert decode_claims(token)["aud"] == AUDIENCE


def test_token_is_reused_until_shortly_before_exp(metadata: FakeMetadata) -> None:
    now = [datetime.now(UTC).timestamp()]
    source = MetadataTokenSource(AUDIENCE, clock=lambda: now[0])
    first = source()
    now[0] += 3600 - 301
    assert source() == first and source.fetches == 1
    now[0] += 2
    source()
    assert source.fetches == 2


def test_token_source_is_thread_safe(metadata: FakeMetadata) -> None:
    source = MetadataTokenSource(AUDIENCE)
    threads = [threading.Thread(target=source) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert source.fetches == 1 and len(metadata.requests) == 1


def test_transient_metadata_errors_are_retried(metadata: FakeMetadata) -> None:
    metadata.failures_before_success = 2
    assert decode_claims(MetadataTokenSource(AUDIENCE)())["sub"] == metadata.unique_id
    assert len(metadata.requests) == 3


def test_metadata_down_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gcp_aws_credentials.metadata.BACKOFF_SECONDS", 0.01)
    host = f"127.0.0.1:{free_port()}"
    with pytest.raises(MetadataError) as caught:
        MetadataTokenSource(AUDIENCE, host=host, timeout=1)()
    assert f"metadata server at {host} is unreachable after 3 attempts" in str(caught.value)
    assert "GCE_METADATA_HOST" in str(caught.value)
    assert caught.value.code == "metadata-unreachable" and "GCE_METADATA_HOST" in caught.value.fix


def test_session_names_match_what_the_trust_pins() -> None:
    for account, project in [("etl-runner", "acme-data-dev"), ("a" * 30, "p" * 30)]:
        derived = session_name_from_email(f"{account}@{project}.iam.gserviceaccount.com")  # as Google forms it
        assert derived == session_name(account, project)
        assert 2 <= len(derived) <= 64
    with pytest.raises(ValueError, match="not a service account email"):
        session_name_from_email("someone@gmail.com")


# --- in-memory session against moto --------------------------------------------------------------


def test_sse_kms_round_trip_in_memory_only(
    metadata: FakeMetadata, bucket_and_key: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    bucket, key_arn = bucket_and_key
    session = federated_session(ROLE_ARN, AUDIENCE, region="eu-west-1")
    assert _round_trip(session, bucket, key_arn) == b'{"ok": true}'
    credentials = session.get_credentials()
    assert credentials is not None and credentials.method == "gcp-assume-role-with-web-identity"
    assert list(tmp_path.rglob("*")) == []  # nothing cached on disk


def _clocked_session(offset: list[timedelta]) -> tuple[boto3.Session, WebIdentityExchange]:
    exchange = WebIdentityExchange(ROLE_ARN, AUDIENCE, region="eu-west-1")
    return session_with_credentials(shifted_time_credentials(exchange, offset), "eu-west-1"), exchange


def test_refresh_happens_before_expiry_not_earlier(metadata: FakeMetadata, aws_env: str) -> None:
    offset = [timedelta(0)]
    session, exchange = _clocked_session(offset)
    credentials = session.get_credentials()
    assert credentials is not None
    first = credentials.get_frozen_credentials()
    offset[0] = timedelta(seconds=3600 - 20 * 60)  # 20 min left: still fresh
    assert credentials.get_frozen_credentials() == first and exchange.sts_calls == 1
    offset[0] = timedelta(seconds=3600 - 14 * 60)  # inside botocore's 15-min advisory window
    assert credentials.get_frozen_credentials() != first
    assert exchange.sts_calls == 2


def test_many_threads_one_sts_call_per_refresh(metadata: FakeMetadata, aws_env: str) -> None:
    offset = [timedelta(0)]
    session, exchange = _clocked_session(offset)
    credentials = session.get_credentials()
    assert credentials is not None

    def hammer() -> None:
        for _ in range(200):
            credentials.get_frozen_credentials()

    for expected_calls, shift in ((1, 0), (2, 3600 - 9 * 60)):  # then inside the mandatory window
        offset[0] = timedelta(seconds=shift)
        threads = [threading.Thread(target=hammer) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert exchange.sts_calls == expected_calls


def test_failed_advisory_refresh_keeps_serving_until_the_mandatory_window(
    metadata: FakeMetadata, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    offset = [timedelta(0)]
    session, exchange = _clocked_session(offset)
    credentials = session.get_credentials()
    assert credentials is not None
    first = credentials.get_frozen_credentials()
    server, endpoint = aws_error_server("ServiceUnavailable", "try later", status=503)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", endpoint)
    try:
        offset[0] = timedelta(seconds=3600 - 14 * 60)  # advisory window: refresh fails, old credentials serve
        assert credentials.get_frozen_credentials() == first
        offset[0] = timedelta(seconds=3600 - 5 * 60)  # mandatory window: the failure surfaces
        with pytest.raises(FederationError, match="ServiceUnavailable: try later"):
            credentials.get_frozen_credentials()
    finally:
        server.shutdown()
    assert exchange.sts_calls >= 3


def test_sts_endpoint_follows_sdk_settings(
    metadata: FakeMetadata, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, endpoint = aws_error_server("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", endpoint)  # more specific than AWS_ENDPOINT_URL (moto)
    try:
        with pytest.raises(FederationError):
            WebIdentityExchange(ROLE_ARN, AUDIENCE, region="eu-west-1").fetch()
    finally:
        server.shutdown()


# --- error paths -----------------------------------------------------------------------------------


def _refusal(monkeypatch: pytest.MonkeyPatch, code: str, message: str) -> FederationError:
    """The FederationError of an exchange against an STS that answers `code: message`."""
    server, endpoint = aws_error_server(code, message)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", endpoint)
    try:
        with pytest.raises(FederationError) as caught:
            WebIdentityExchange(ROLE_ARN, AUDIENCE, region="eu-west-1").fetch()
    finally:
        server.shutdown()
    return caught.value


def _refused_exchange(monkeypatch: pytest.MonkeyPatch, code: str, message: str) -> str:
    return str(_refusal(monkeypatch, code, message))


@pytest.mark.parametrize(
    ("code", "message", "stable"),
    [
        ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", "sts-access-denied"),
        ("InvalidIdentityToken", "Incorrect token audience", "sts-token-audience"),
        ("InvalidIdentityToken", "Couldn't retrieve verification key", "sts-invalid-token"),
        ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration", "sts-duration-too-long"),
        ("ExpiredTokenException", "Token expired", "sts-token-expired"),
        ("IDPRejectedClaim", "Rejected", "sts-refused"),
    ],
)
def test_sts_refusals_carry_a_stable_code_and_fix(
    metadata: FakeMetadata, aws_env: str, monkeypatch: pytest.MonkeyPatch, code: str, message: str, stable: str
) -> None:
    error = _refusal(monkeypatch, code, message)
    assert error.code == stable and error.fix and error.cause


@pytest.mark.parametrize(
    ("code", "message", "cause"),
    [
        (
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            "must pin accounts.google.com:aud and :sub to 112233445566778899001 and :oaud to 'gcp-s3-federation-dev', "
            "and sts:RoleSessionName to 'etl-runner@acme-data-dev'",
        ),
        ("InvalidIdentityToken", "Incorrect token audience", "must list the audience"),
    ],
)
def test_sts_refusals_explain_with_claims_never_the_token(
    metadata: FakeMetadata, aws_env: str, monkeypatch: pytest.MonkeyPatch, code: str, message: str, cause: str
) -> None:
    text = _refused_exchange(monkeypatch, code, message)
    assert f"{code}: {message}" in text and cause in text
    assert "azp=112233445566778899001 sub=112233445566778899001" in text
    assert "email=etl-runner@acme-data-dev.iam.gserviceaccount.com" in text
    assert metadata.tokens and all(token not in text for token in metadata.tokens)
    assert all(token.split(".")[2] not in text for token in metadata.tokens)


def test_wrong_audience_is_named(metadata: FakeMetadata, aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    metadata.forced_audience = "https://some-other-service"
    text = _refused_exchange(monkeypatch, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    assert (
        "the token was minted for audience 'https://some-other-service'; request audience 'gcp-s3-federation-dev'"
        in text
    )


# --- console script --------------------------------------------------------------------------------


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60)


def test_credential_process_json_and_profile_round_trip(
    metadata: FakeMetadata, bucket_and_key: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _cli("credential-process", "--role-arn", ROLE_ARN, "--audience", AUDIENCE, "--region", "eu-west-1")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["Version"] == 1
    assert set(document) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert datetime.fromisoformat(document["Expiration"]) > datetime.now(UTC)

    config = tmp_path / "config"
    config.write_text(
        "[profile federated]\nregion = eu-west-1\n"
        f"credential_process = {CLI} credential-process --role-arn {ROLE_ARN} --audience {AUDIENCE}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    bucket, key_arn = bucket_and_key
    session = boto3.Session(profile_name="federated")
    assert _round_trip(session, bucket, key_arn, "raw/events/b.json") == b'{"ok": true}'


def test_credential_process_failure_is_one_clear_message(metadata: FakeMetadata, aws_env: str) -> None:
    server, endpoint = aws_error_server("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    try:
        result = _cli(
            "credential-process", "--role-arn", ROLE_ARN, "--audience", AUDIENCE, env={"AWS_ENDPOINT_URL_STS": endpoint}
        )
    finally:
        server.shutdown()
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("gcp-aws-credentials: STS refused AssumeRoleWithWebIdentity")
    assert "Traceback" not in result.stderr
    assert all(token not in result.stderr for token in metadata.tokens)


# --- token file ------------------------------------------------------------------------------------


def test_token_file_once_writes_private_file(metadata: FakeMetadata, tmp_path: Path) -> None:
    path = tmp_path / "run" / "token"
    result = _cli("token-file", "--audience", AUDIENCE, "--path", str(path), "--once")
    assert result.returncode == 0, result.stderr
    assert decode_claims(path.read_text())["aud"] == AUDIENCE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["token"]  # no temp file left behind


def test_token_file_replacement_is_atomic_under_concurrent_readers(tmp_path: Path) -> None:
    path = tmp_path / "token"
    tokens = [("x" * 2000 + str(i)) for i in range(200)]
    write_atomically(path, tokens[0])
    seen: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(path.read_text())

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for token in tokens[1:]:
        write_atomically(path, token, mode=0o640)
    stop.set()
    for reader in readers:
        reader.join()
    assert seen and set(seen) <= set(tokens)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_token_file_loop_refreshes_and_survives_a_failed_refresh(tmp_path: Path) -> None:
    path = tmp_path / "token"
    values: Iterator[str | Exception] = iter(["t1", "t2", RuntimeError("metadata down"), "t4"])
    written: list[str] = []
    errors: list[Exception] = []

    def source() -> str:
        value = next(values)
        if isinstance(value, Exception):
            raise value
        return value

    def sleep(_: float) -> None:
        written.append(path.read_text())

    refresh_forever(source, path, interval=1, iterations=4, sleep=sleep, on_error=errors.append)
    assert written == ["t1", "t2", "t2"] and path.read_text() == "t4"
    assert [str(e) for e in errors] == ["metadata down"]


def test_console_script_has_no_pulumi_dependency() -> None:
    code = "import sys, gcp_aws_credentials.cli; print('pulumi' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
