"""The stored request traces stay true: boto3 re-captured live against moto, S3A regenerated from its
builder, the AWS CLI re-captured when an awscli virtualenv is given; and the boto3 flows really run
against moto with the bucket default encryption the stack renders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gcp_aws_credentials.flows import CLIENTS, trace_document
from gcp_aws_credentials.s3_authz import HttpRequest, operation
from tools import s3a_traces
from tools.capture_traces import BUCKET, TRACES, capture_boto3
from tools.mock_cloud import run_program, stack_config

RECAPTURE = "python -m tools.capture_traces [--awscli-python PATH]"


def _shapes(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {flow["name"]: flow["requests"] for flow in document["flows"]}


def test_boto3_traces_match_a_live_capture(moto_endpoint: str) -> None:
    stored = _shapes(trace_document("boto3"))
    live = _shapes(capture_boto3(moto_endpoint))
    assert live.keys() == stored.keys()
    for name, requests in live.items():
        assert requests == stored[name], f"boto3 {name} now sends other requests; re-capture with `{RECAPTURE}`"


def test_s3a_traces_are_generated_from_their_source_notes() -> None:
    assert trace_document("s3a") == json.loads(json.dumps(s3a_traces.document())), "run `python -m tools.s3a_traces`"


@pytest.mark.skipif(
    not os.environ.get("AWSCLI_PYTHON"), reason="set AWSCLI_PYTHON to a virtualenv's python with awscli"
)
def test_awscli_traces_match_a_live_capture(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    target = tmp_path / "traces"
    env = {**os.environ, "PYTHONPATH": str(root)}
    script = (
        "import sys, tools.capture_traces as c; c.TRACES = __import__('pathlib').Path(sys.argv[1]); "
        "sys.exit(c.main(['--awscli-python', sys.argv[2]]))"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(target), os.environ["AWSCLI_PYTHON"]], check=True, env=env, cwd=root
    )
    live = _shapes(json.loads((target / "awscli.json").read_text()))
    assert live == _shapes(trace_document("awscli"))


@pytest.mark.parametrize("client", CLIENTS)
def test_every_traced_request_is_a_modelled_s3_operation(client: str) -> None:
    document = trace_document(client)
    assert document["versions"] and document["flows"]
    for flow in document["flows"]:
        assert flow["needs"] and set(flow["needs"]) <= {"read", "write"}, flow["name"]
        for raw in flow["requests"]:
            request = HttpRequest(raw["method"], raw["bucket"], raw["key"], raw["query"], raw["headers"])
            operation(request)  # raises for anything the model does not know
            assert raw.get("status", 200) in (200, 204, 206, 404), (flow["name"], raw)


def test_traces_directory_holds_only_known_clients() -> None:
    assert sorted(p.stem for p in TRACES.glob("*.json")) == sorted(CLIENTS)


def test_boto3_flows_succeed_on_moto_with_the_rendered_default_encryption(moto_endpoint: str) -> None:
    """Runs the boto3 flows with the dev stack's rendered bucket encryption (SSE-KMS, the bucket's key,
    Bucket Keys on; the key recreated in moto) and checks every object they wrote is SSE-KMS under it."""
    plan = run_program("dev", stack_config("dev"))
    (rendered,) = [
        r.inputs
        for r in plan.custom_resources
        if r.type == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ]
    (rule,) = rendered["rules"]
    default = rule["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms"
    assert default["kmsMasterKeyId"] == plan.outputs["buckets"][rendered["bucket"]]["kms_key_arn"]
    written: list[tuple[str, str, str | None, bool | None]] = []

    def inspect(client: Any, key_arn: str) -> None:
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            head = client.head_object(Bucket=BUCKET, Key=item["Key"])
            written.append(
                (item["Key"], head.get("ServerSideEncryption"), head.get("SSEKMSKeyId"), head.get("BucketKeyEnabled"))
            )
            assert head.get("SSEKMSKeyId") == key_arn, item["Key"]

    document = capture_boto3(moto_endpoint, bool(rule["bucketKeyEnabled"]), inspect)
    for flow in document["flows"]:
        for request in flow["requests"]:
            assert request["status"] in (200, 204, 206), (flow["name"], request)
    assert written and all(sse == "aws:kms" and bucket_key is True for _, sse, _, bucket_key in written), written
