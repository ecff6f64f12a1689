"""`explain` on a deployed stack: the same verdicts from `pulumi stack export` as from the plan report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gcp_aws_credentials.explain import PlanDocuments, S3Request, explain_request, explain_trust
from gcp_aws_credentials.state import SECRET_SIGNATURE, SECRET_SIGNATURE_KEY, StackState, StateError, load_state
from tools.mock_cloud import PlanResult, run_program, stack_config
from tools.plan import report
from tools.stack_export import stack_export

CLI = str(Path(sys.executable).parent / "gcp-aws-credentials")
BUCKET = "acme-dev-lake"
WORKLOADS = ("ingest-api", "nightly-etl", "reporting")


@pytest.fixture(scope="module")
def planned() -> PlanResult:
    return run_program("dev", stack_config("dev"))


@pytest.fixture(scope="module")
def export(planned: PlanResult) -> dict[str, Any]:
    """The export with no stack outputs: a deployed stack is read from its resources alone."""
    data = stack_export(planned)
    stack = data["deployment"]["resources"][0]
    assert stack["type"] == "pulumi:pulumi:Stack"
    stack["outputs"] = {}
    return data


def _claims(docs: PlanDocuments, **changes: Any) -> dict[str, Any]:
    uid = docs.trust["Statement"][0]["Condition"]["StringEquals"]["accounts.google.com:sub"]
    email = f"{docs.workload}@acme-data-dev.iam.gserviceaccount.com"
    return {"aud": "gcp-s3-federation-dev", "azp": uid, "sub": uid, "email": email, **changes}


def _requests(key_arn: str) -> list[S3Request]:
    return [
        S3Request("s3:PutObject", BUCKET, "raw/events/a.json", "aws:kms", key_arn),
        S3Request("s3:PutObject", BUCKET, "raw/events/a.json", "aws:kms"),
        S3Request("s3:GetObject", BUCKET, "raw/events/a.json"),
        S3Request("s3:GetObject", BUCKET, "curated/daily/x"),
        S3Request("s3:GetObject", BUCKET, "curated/daily/x", tls=False),
        S3Request("s3:DeleteObject", BUCKET, "curated/daily/x"),
        S3Request("s3:ListBucket", BUCKET, "curated/"),
        S3Request("s3:ListBucket", BUCKET, None),
    ]


@pytest.mark.parametrize("workload", WORKLOADS)
def test_export_gives_the_plans_verdicts(planned: PlanResult, export: dict[str, Any], workload: str) -> None:
    from_plan = PlanDocuments(report(planned), workload)
    from_export = PlanDocuments(export, workload)
    assert from_export.state.source == "stack export" and from_plan.state.source == "plan report"
    assert from_export.role_arn == from_plan.role_arn
    for claims in (_claims(from_plan), _claims(from_plan, aud="https://other"), _claims(from_plan, sub="1")):
        plan_verdict, export_verdict = explain_trust(from_plan.trust, claims), explain_trust(from_export.trust, claims)
        assert export_verdict.allowed is plan_verdict.allowed
        assert export_verdict.text() == plan_verdict.text()
    key_arn, _ = from_plan.bucket_key(BUCKET)
    assert key_arn is not None and from_export.bucket_key(BUCKET)[0] == key_arn
    verdicts = []
    for request in _requests(key_arn):
        plan_verdict, export_verdict = explain_request(from_plan, request), explain_request(from_export, request)
        assert export_verdict.text() == plan_verdict.text()
        verdicts.append(plan_verdict.allowed)
    assert True in verdicts and False in verdicts  # the cases discriminate


def test_workload_by_role_arn_and_unknown_names(export: dict[str, Any]) -> None:
    by_name = PlanDocuments(export, "reporting")
    assert PlanDocuments(export, by_name.role_arn).workload == "reporting"
    with pytest.raises(StateError, match=r"no workload 'nope' \(known: ingest-api, nightly-etl, reporting\)"):
        PlanDocuments(export, "nope")


def test_explain_cli_reads_the_export_from_stdin(planned: PlanResult, export: dict[str, Any], tmp_path: Path) -> None:
    docs = PlanDocuments(export, "nightly-etl")
    claims = json.dumps(_claims(docs))
    trust = [CLI, "explain", "trust", "--state", "-", "--workload", "nightly-etl", "--claims", claims]
    allowed = subprocess.run(trust, input=json.dumps(export), capture_output=True, text=True, timeout=60)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "AssumeRoleWithWebIdentity: ALLOW" in allowed.stdout
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    request = [CLI, "explain", "request", "--state", str(path), "--workload", "reporting", "--action", "s3:PutObject"]
    denied = subprocess.run([*request, "--bucket", BUCKET, "--key", "curated/x"], capture_output=True, text=True)
    assert denied.returncode == 1 and denied.stdout.endswith("Verdict: DENY\n"), denied.stdout + denied.stderr


def test_secrets_in_an_export() -> None:
    def export(policy: Any) -> dict[str, Any]:
        role = {
            "urn": "urn:pulumi:prod::p::aws:iam/role:Role::etl",
            "type": "aws:iam/role:Role",
            "inputs": {"assumeRolePolicy": policy},
            "outputs": {"arn": "arn:aws:iam::1:role/etl", "assumeRolePolicy": policy},
        }
        return {"version": 3, "deployment": {"resources": [role]}}

    trust = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*"}]}
    plaintext = {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "plaintext": json.dumps(json.dumps(trust))}
    assert PlanDocuments(export(plaintext), "etl").trust == trust
    encrypted = {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "ciphertext": "AAAA"}
    with pytest.raises(StateError, match="--show-secrets"):
        PlanDocuments(export(encrypted), "etl")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "expected a JSON object"),
        ("{}", "not a `make plan` report"),
        ("{", "not JSON"),
        ('{"version": 4, "deployment": {}}', "stack export version 4 is not supported"),
    ],
)
def test_unreadable_state(text: str, message: str) -> None:
    with pytest.raises(StateError, match=message):
        load_state(text)


def test_state_from_json_accepts_a_state() -> None:
    state = StackState("s", "plan report", (), {})
    assert StackState.from_json(state) is state
