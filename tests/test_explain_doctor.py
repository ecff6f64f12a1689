"""`explain` (offline evaluation against the plan) and `doctor` (the live chain, on loopback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from gcp_aws_credentials import cli
from gcp_aws_credentials.doctor import Doctor, DoctorArgs
from gcp_aws_credentials.evaluate import evaluate_condition
from gcp_aws_credentials.explain import PlanDocuments, S3Request, explain_request, explain_trust
from tools import plan
from tools.loopback import FakeIam, FakeMetadata, aws_error_server, free_port, put_sse_kms_default
from tools.mock_cloud import run_program, stack_config

CLI = str(Path(sys.executable).parent / "gcp-aws-credentials")
BUCKET = "acme-dev-lake"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "report.json"
    assert plan.main(["--stack", "dev", "--report", str(path), "--no-gate"]) == 0
    return path


@pytest.fixture(scope="module")
def documents(report: Path) -> dict[str, PlanDocuments]:
    data = json.loads(report.read_text())
    return {name: PlanDocuments(data, name) for name in ("ingest-api", "nightly-etl", "reporting")}


def _claims(plan_docs: PlanDocuments, **changes: Any) -> dict[str, Any]:
    uid = plan_docs.trust["Statement"][0]["Condition"]["StringEquals"]["accounts.google.com:sub"]
    claims = {
        "aud": "gcp-s3-federation-dev",
        "azp": uid,
        "sub": uid,
        "exp": 1900000000,
        "email": f"{plan_docs.workload}@acme-data-dev.iam.gserviceaccount.com",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


# --- condition semantics ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "expected", "context", "matched"),
    [
        ("StringEquals", ["a"], {}, False),
        ("StringNotEquals", ["a"], {}, True),  # a negated operator is true when the key is missing
        ("StringEqualsIfExists", ["a"], {}, True),
        ("ForAllValues:StringEquals", ["a"], {}, True),  # the anti-pattern: vacuously true
        ("ForAnyValue:StringEquals", ["a"], {}, False),
        ("ForAllValues:StringLike", ["a*"], {"k": ["ab", "b"]}, False),
        ("ForAnyValue:StringLike", ["a*"], {"k": ["ab", "b"]}, True),
        ("StringLike", ["raw/*"], {"k": ["raw2/x"]}, False),
        ("StringEquals", ["x", "y"], {"k": ["y"]}, True),  # several values: OR
        ("StringNotEquals", ["aws:kms"], {"k": ["AES256"]}, True),
        ("Null", ["true"], {}, True),
        ("Null", ["true"], {"k": ["v"]}, False),
        ("Bool", ["false"], {"k": ["false"]}, True),
        ("ArnNotLike", ["arn:aws:iam::1:role/p/*"], {"k": ["arn:aws:iam::1:role/p/x"]}, False),
        ("DateLessThan", ["2026-11-23T10:00:00Z"], {"k": ["2026-11-23T09:59:59Z"]}, True),
        ("NumericLessThanEquals", ["3600"], {"k": ["3600"]}, True),
    ],
)
def test_condition_semantics(operator: str, expected: list[str], context: dict[str, list[str]], matched: bool) -> None:
    assert evaluate_condition(operator, "k", expected, context).matched is matched


# --- explain trust ----------------------------------------------------------------------------------


def test_matching_token_is_allowed(documents: dict[str, PlanDocuments]) -> None:
    docs = documents["nightly-etl"]
    result = explain_trust(docs.trust, _claims(docs))
    assert result.allowed
    assert "AssumeRoleWithWebIdentity: ALLOW (allowed by trust policy statement GoogleServiceAccount)" in result.text()


def test_wrong_audience_names_both_audiences(documents: dict[str, PlanDocuments]) -> None:
    docs = documents["nightly-etl"]
    result = explain_trust(docs.trust, _claims(docs, aud="https://my-api"))
    assert not result.allowed
    text = result.text()
    assert (
        "StringEquals accounts.google.com:oaud: expected gcp-s3-federation-dev | actual https://my-api "
        "-> does NOT match"
    ) in text
    assert "Fix: this token was minted for audience 'https://my-api'; request audience 'gcp-s3-federation-dev'" in text


def test_user_token_without_azp(documents: dict[str, PlanDocuments]) -> None:
    docs = documents["nightly-etl"]
    result = explain_trust(docs.trust, _claims(docs, azp=None, sub="104857600000000000001", email="me@example.com"))
    assert "Fix: this is a user token without azp" in result.text()


def test_another_service_account(documents: dict[str, PlanDocuments]) -> None:
    docs, other = documents["nightly-etl"], documents["reporting"]
    result = explain_trust(docs.trust, _claims(other, email="nightly-etl@acme-data-dev.iam.gserviceaccount.com"))
    expected = docs.trust["Statement"][0]["Condition"]["StringEquals"]["accounts.google.com:sub"]
    actual = _claims(other)["sub"]
    assert f"Fix: the role trusts service account {expected}, this token is service account {actual}" in result.text()


def test_explicit_deny_beats_allow(documents: dict[str, PlanDocuments]) -> None:
    docs = documents["nightly-etl"]
    trust = json.loads(json.dumps(docs.trust))
    trust["Statement"].append(
        {
            "Sid": "Suspended",
            "Effect": "Deny",
            "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
        }
    )
    result = explain_trust(trust, _claims(docs))
    assert not result.allowed and "explicitly denied by trust policy statement Suspended" in result.text()


# --- explain request --------------------------------------------------------------------------------


def _key_arn(docs: PlanDocuments) -> str:
    key, _ = docs.bucket_key(BUCKET)
    assert key is not None
    return key


@pytest.mark.parametrize(
    ("workload", "request_changes", "allowed", "reason"),
    [
        (
            "ingest-api",
            {"action": "s3:PutObject", "key": "raw/events/a.json", "sse": "aws:kms", "sse_kms_key_id": "BUCKET_KEY"},
            True,
            "allowed by",
        ),
        (
            "ingest-api",
            {"action": "s3:PutObject", "key": "raw/events/a.json", "sse": "aws:kms"},
            False,
            "explicitly denied by bucket policy of acme-dev-lake statement DenyKmsWithoutKeyId",
        ),
        ("nightly-etl", {"action": "s3:GetObject", "key": "raw/events/a.json"}, True, "allowed by"),
        ("nightly-etl", {"action": "s3:GetObject", "key": "other/a.json"}, False, "implicitly denied"),
        (
            "ingest-api",
            {"action": "s3:PutObject", "key": "raw/events2/a.json", "sse": "aws:kms", "sse_kms_key_id": "BUCKET_KEY"},
            False,
            "implicitly denied",
        ),
        (
            "ingest-api",
            {"action": "s3:PutObject", "key": "raw/events/a.json"},
            True,
            "KMS (key policy): ALLOW",
        ),
        (
            "ingest-api",
            {"action": "s3:PutObject", "key": "raw/events/a.json", "sse": "AES256"},
            False,
            "explicitly denied by bucket policy of acme-dev-lake statement DenySseOtherThanKms",
        ),
        ("nightly-etl", {"action": "s3:GetObject", "key": "curated/daily"}, True, "allowed by"),
        ("nightly-etl", {"action": "s3:GetObject", "key": "curated/daily-x/a"}, False, "implicitly denied"),
        (
            "ingest-api",
            {
                "action": "s3:PutObject",
                "key": "raw/events/a.json",
                "sse": "aws:kms",
                "sse_kms_key_id": "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555",
            },
            False,
            "explicitly denied by bucket policy of acme-dev-lake statement DenyKmsKeyOtherThanBucketKey",
        ),
        ("nightly-etl", {"action": "s3:ListBucket", "key": None}, False, "implicitly denied"),
        ("nightly-etl", {"action": "s3:ListBucket", "key": "curated/daily/2026/"}, True, "allowed by"),
        (
            "nightly-etl",
            {"action": "s3:GetObject", "key": "raw/events/a.json", "tls": False},
            False,
            "explicitly denied by bucket policy of acme-dev-lake statement DenyInsecureTransport",
        ),
    ],
)
def test_request_cases(
    documents: dict[str, PlanDocuments], workload: str, request_changes: dict[str, Any], allowed: bool, reason: str
) -> None:
    docs = documents[workload]
    if request_changes.get("sse_kms_key_id") == "BUCKET_KEY":
        request_changes = {**request_changes, "sse_kms_key_id": _key_arn(docs)}
    result = explain_request(docs, S3Request(bucket=BUCKET, **request_changes))
    assert result.allowed is allowed, result.text()
    assert reason in result.text()


def test_put_with_the_right_key_passes_kms_checks(documents: dict[str, PlanDocuments]) -> None:
    docs = documents["ingest-api"]
    result = explain_request(docs, S3Request("s3:PutObject", BUCKET, "raw/events/a.json", "aws:kms", _key_arn(docs)))
    text = result.text()
    assert "identity policy 's3-prefix-access' statement EncryptThroughS3" in text
    assert "KMS (key policy): ALLOW (allowed by key policy statement FederatedRolesUseKeyThroughS3)" in text
    assert text.endswith("Verdict: ALLOW")


def test_reader_cannot_write(documents: dict[str, PlanDocuments]) -> None:
    docs = documents["reporting"]
    result = explain_request(docs, S3Request("s3:PutObject", BUCKET, "curated/x", "aws:kms", _key_arn(docs)))
    assert not result.allowed
    assert "the role's grants for s3:PutObject cover: nothing" in result.text()


def test_explain_cli_exit_codes(report: Path, documents: dict[str, PlanDocuments]) -> None:
    claims = json.dumps(_claims(documents["nightly-etl"], aud="wrong"))
    denied = subprocess.run(
        [CLI, "explain", "trust", "--plan", str(report), "--workload", "nightly-etl", "--claims", claims],
        capture_output=True,
        text=True,
    )
    assert denied.returncode == 1 and "request audience 'gcp-s3-federation-dev'" in denied.stdout
    allowed = subprocess.run(
        [
            CLI,
            "explain",
            "request",
            "--plan",
            str(report),
            "--workload",
            "nightly-etl",
            "--action",
            "s3:GetObject",
            "--bucket",
            BUCKET,
            "--key",
            "curated/daily/x",
        ],
        capture_output=True,
        text=True,
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_request_on_an_adopted_bucket_names_the_owners_requirements(tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    assert plan.main(["--stack", "prod", "--report", str(path), "--no-gate"]) == 0
    prod = PlanDocuments(json.loads(path.read_text()), "nightly-etl")
    adopted = explain_request(prod, S3Request("s3:GetObject", "acme-prod-archive", "exports/daily/a.csv"))
    created = explain_request(prod, S3Request("s3:GetObject", "acme-prod-lake", "raw/events/a.json"))
    assert adopted.allowed and created.allowed
    assert "no bucket policy of ours on acme-prod-archive (adopted bucket)" in adopted.text()
    assert "adopted bucket" not in created.text()


# --- doctor on loopback ----------------------------------------------------------------------------

ROLE_ARN = "arn:aws:iam::123456789012:role/gcp-federation/dev/gcpfed-dev-nightly-etl"


def _lake(default_encryption: bool) -> tuple[str, str]:
    harness = boto3.Session(aws_access_key_id="harness", aws_secret_access_key="harness", region_name="eu-west-1")
    key = harness.client("kms").create_key()["KeyMetadata"]["Arn"]
    name = f"lake-{os.urandom(4).hex()}"
    s3 = harness.client("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    if default_encryption:
        put_sse_kms_default(s3, name, key)
    return name, key


@pytest.fixture
def lake(aws_env: str) -> tuple[str, str]:
    """A bucket with the default encryption the stack renders (SSE-KMS with the key's ARN)."""
    return _lake(default_encryption=True)


def test_doctor_finds_an_adopted_bucket_without_sse_kms_default(metadata: FakeMetadata, aws_env: str) -> None:
    steps = _doctor(*_lake(default_encryption=False))
    assert [s.ok for s in steps] == [True, True, True, True, False]
    assert steps[-1].cause == "the bucket's default encryption is not SSE-KMS with the expected key"


def _doctor(bucket: str, key: str | None, **changes: Any) -> list[Any]:
    args = DoctorArgs(
        ROLE_ARN, "gcp-s3-federation-dev", bucket, "curated/daily/", "eu-west-1", kms_key_arn=key, write_probe=True
    )
    return Doctor(DoctorArgs(**{**args.__dict__, **changes})).run()


def test_doctor_all_green(metadata: FakeMetadata, lake: tuple[str, str]) -> None:
    steps = _doctor(*lake)
    assert [(s.id, s.name) for s in steps] == [
        ("metadata", "metadata server"),
        ("token", "ID token"),
        ("sts", "STS AssumeRoleWithWebIdentity"),
        ("list", "ListObjectsV2"),
        ("write-read", "SSE-KMS write and read"),
    ]
    assert all(s.ok and not s.code for s in steps), steps
    assert "azp=112233445566778899001" in steps[1].detail


def test_doctor_wrong_audience(metadata: FakeMetadata, lake: tuple[str, str]) -> None:
    metadata.forced_audience = "https://other"
    steps = _doctor(*lake)
    assert [s.ok for s in steps] == [True, False]
    assert steps[1].code == "token-wrong-audience"
    assert steps[1].cause == "token audience is 'https://other'" and "gcp-s3-federation-dev" in steps[1].fix


def test_doctor_denied_sts(metadata: FakeMetadata, lake: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    server, endpoint = aws_error_server("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", endpoint)
    try:
        steps = _doctor(*lake)
    finally:
        server.shutdown()
    assert [s.ok for s in steps] == [True, True, False]
    assert steps[2].code == "sts-access-denied"
    assert "the trust of arn:aws:iam::123456789012:role/gcp-federation/dev/gcpfed-dev-nightly-etl" in steps[2].cause
    assert "gcp-aws-credentials explain trust --state" in steps[2].fix


def test_doctor_missing_prefix_grant(
    metadata: FakeMetadata, lake: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, endpoint = aws_error_server("AccessDenied", "Access Denied", s3=True)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    try:
        steps = _doctor(*lake)
    finally:
        server.shutdown()
    assert [s.ok for s in steps] == [True, True, True, False]
    assert steps[3].detail == "AccessDenied: Access Denied"
    assert (steps[3].id, steps[3].code) == ("list", "list-denied")
    assert "no s3:ListBucket on" in steps[3].cause and "curated/daily/*" in steps[3].cause


def test_doctor_json_never_prints_the_token(metadata: FakeMetadata, lake: tuple[str, str]) -> None:
    bucket, key = lake
    result = subprocess.run(
        [
            CLI,
            "doctor",
            "--role-arn",
            ROLE_ARN,
            "--audience",
            "gcp-s3-federation-dev",
            "--bucket",
            bucket,
            "--prefix",
            "raw/",
            "--kms-key-arn",
            key,
            "--write-probe",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["version"], report["ok"], report["failed_step"], report["code"]) == (1, True, None, None)
    steps = report["steps"]
    assert [s["id"] for s in steps] == ["metadata", "token", "sts", "list", "write-read"]
    assert [s["ok"] for s in steps] == [True] * 5
    assert metadata.tokens and not any(t in result.stdout + result.stderr for t in metadata.tokens)
    assert not any(t.split(".")[2] in result.stdout for t in metadata.tokens)


def test_plan_fixture_is_the_dev_stack(documents: dict[str, PlanDocuments]) -> None:
    live = run_program("dev", stack_config("dev")).outputs["workloads"]["nightly-etl"]["role_arn"]
    assert documents["nightly-etl"].role_arn == live


def test_doctor_write_probe_checks_the_key_only_when_given(metadata: FakeMetadata, lake: tuple[str, str]) -> None:
    bucket, _ = lake
    assert all(s.ok for s in _doctor(bucket, None)), "without --kms-key-arn: SSE-KMS under any key"
    other = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    steps = _doctor(bucket, other)
    assert (
        not steps[-1].ok and steps[-1].cause == "the bucket's default encryption is not SSE-KMS with the expected key"
    )


def test_doctor_json_names_the_failed_step_and_code(tmp_path: Path) -> None:
    closed = f"127.0.0.1:{free_port()}"
    args = ["doctor", "--role-arn", ROLE_ARN, "--audience", "a", "--bucket", "b", "--prefix", "p/", "--json"]
    env = {**os.environ, "GCE_METADATA_HOST": closed}
    result = subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert (report["ok"], report["failed_step"], report["code"]) == (False, "metadata", "metadata-unreachable")
    assert report["steps"][0]["fix"] == "run on the workload, or set GCE_METADATA_HOST to a metadata emulator"


DECLARED_SA_POLICY = json.dumps(
    {"bindings": [{"role": "roles/iam.serviceAccountUser", "members": ["group:data-platform-dev@acme.example"]}]}
)


def test_doctor_checks_the_service_account_policy_last(
    metadata: FakeMetadata, iam: FakeIam, lake: tuple[str, str]
) -> None:
    steps = _doctor(*lake, declared_iam_policy=DECLARED_SA_POLICY)
    assert [s.id for s in steps] == ["metadata", "token", "sts", "list", "write-read", "iam"]
    assert steps[-1].ok and steps[-1].detail == f"{metadata.email} holds only the declared bindings"


def test_doctor_reports_bindings_beyond_the_declared_ones(
    metadata: FakeMetadata, iam: FakeIam, lake: tuple[str, str]
) -> None:
    iam.policies[metadata.email]["bindings"].append(
        {"role": "roles/iam.serviceAccountOpenIdTokenCreator", "members": ["user:eve@acme.example"]}
    )
    steps = _doctor(*lake, declared_iam_policy=DECLARED_SA_POLICY)
    assert [s.ok for s in steps] == [True] * 5 + [False]
    assert steps[-1].code == "iam-undeclared-bindings"
    assert "user:eve@acme.example (roles/iam.serviceAccountOpenIdTokenCreator)" in steps[-1].detail


def test_doctor_without_iam_read_permission_says_so_and_passes(
    metadata: FakeMetadata, iam: FakeIam, lake: tuple[str, str]
) -> None:
    iam.readable = False
    steps = _doctor(*lake, declared_iam_policy=DECLARED_SA_POLICY)
    assert steps[-1].id == "iam" and steps[-1].ok
    assert steps[-1].detail.startswith("not checked: ") and "doctor --plan/--state" in steps[-1].detail


def test_doctor_offline_checks_a_plan_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dev.json"
    assert plan.main(["--stack", "dev", "--report", str(path), "--no-gate"]) == 0
    capsys.readouterr()
    assert cli.main(["doctor", "--plan", str(path), "--workload", "reporting", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"][0]["id"] == "iam"
    report = json.loads(path.read_text())
    email = report["outputs"]["workloads"]["reporting"]["service_account_email"]
    report["resources"].append(
        {
            "type": "gcp:serviceaccount/iAMBinding:IAMBinding",
            "name": "hand-made",
            "urn": "urn:pulumi:dev::gcp-s3-federation::gcp:serviceaccount/iAMBinding:IAMBinding::hand-made",
            "inputs": {
                "serviceAccountId": f"projects/acme-data-dev/serviceAccounts/{email}",
                "role": "roles/iam.serviceAccountUser",
                "members": ["user:eve@acme.example"],
            },
        }
    )
    path.write_text(json.dumps(report))
    assert cli.main(["doctor", "--plan", str(path), "--workload", "reporting"]) == 1
    out = capsys.readouterr().out
    assert "IAMBinding 'hand-made' grants user:eve@acme.example (roles/iam.serviceAccountUser)" in out
    assert "code:  iam-undeclared-bindings" in out


def test_doctor_names_missing_arguments(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ROLE_ARN", "GCP_AWS_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["doctor", "--bucket", "b"]) == 1
    assert "doctor needs --role-arn, --audience, --prefix" in capsys.readouterr().err
    assert cli.main(["doctor", "--plan", "x.json"]) == 1
    assert "add --workload" in capsys.readouterr().err
