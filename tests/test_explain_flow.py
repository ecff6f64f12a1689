"""`gcp-aws-credentials explain request --flow`: every request of a client flow against a planned stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from gcp_aws_credentials.cli import main
from gcp_aws_credentials.flows import find_flow
from tools import plan


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "report.json"
    assert plan.main(["--stack", "dev", "--report", str(path), "--no-gate"]) == 0
    return path


def _explain(report: Path, flow: str, prefix: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    argv = ["explain", "request", "--plan", str(report), "--workload", "nightly-etl", "--bucket", "acme-dev-lake"]
    status = main([*argv, "--flow", flow, "--prefix", prefix])
    return status, capsys.readouterr().out


def test_a_granted_multipart_upload_works_request_by_request(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _explain(report, "boto3:upload_file", "curated/daily/", capsys)
    assert status == 0, out
    assert out.count("ALLOW PUT /acme-dev-lake/curated/daily/large.bin?partNumber=") == 3
    assert out.rstrip().endswith("Verdict: the flow works")


def test_a_sibling_prefix_fails_and_names_the_deciding_statement(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _explain(report, "awscli:sync_upload", "curated/daily-x/", capsys)
    assert status == 1
    assert "DENY  GET /acme-dev-lake?" in out and "prefix=curated/daily-x/dir/" in out
    assert "ListAcmeDevLake" in out  # the near miss: the grant's list statement and why it does not match
    assert out.rstrip().endswith("Verdict: the flow FAILS")


def test_tolerated_denials_do_not_fail_a_flow(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _explain(report, "s3a:mkdirs@3.4+", "curated/daily/", capsys)
    assert status == 0, out
    assert "(tolerated: S3A logs and ignores AccessDenied here)" in out


def test_unknown_flows_list_the_known_ones(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "explain",
            "request",
            "--plan",
            str(report),
            "--workload",
            "nightly-etl",
            "--bucket",
            "b",
            "--flow",
            "x:y",
            "--prefix",
            "",
        ]
    )
    assert status == 1
    assert "boto3:upload_file" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown flow"):
        find_flow("boto3:nope")
