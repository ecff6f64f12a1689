"""Client request traces (tests/traces/*.json) placed on a bucket prefix, and a stack's documents.

Placeholders in a trace: `{bucket}`, `{prefix}` (with its slash), `{dir}` (without), `{parent}` (the
directory above `{dir}`), `{kms_key_arn}`, and `{ancestor_markers}` in a delete list (every `dir/` marker
above `{prefix}`). A request on `{parent}` is dropped when there is none, and a request on an object
key that comes out empty is dropped: S3A sends neither for the bucket root.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from gcp_aws_credentials.authorize import Documents
from gcp_aws_credentials.explain import PlanDocuments
from gcp_aws_credentials.s3_authz import BucketEncryption, Caller, HttpRequest
from tools.mock_cloud import PlanResult

TRACES = Path(__file__).resolve().parent / "traces"
CLIENTS = ("boto3", "awscli", "s3a")
ACCESS_MODES = {"read": {"read"}, "write": {"write"}, "read-write": {"read", "write"}}


@dataclass(frozen=True)
class Step:
    request: HttpRequest
    tolerated: str | None  # why the client carries on when this request is denied
    source: str | None


@dataclass(frozen=True)
class Flow:
    client: str
    name: str
    needs: frozenset[str]
    description: str
    requests: tuple[Mapping[str, Any], ...]

    @property
    def title(self) -> str:
        return f"{self.client}:{self.name}"

    def on(self, bucket: str, prefix: str, key_arn: str) -> list[Step]:
        """The flow's requests against `bucket` with the grant `prefix` ('' = bucket root)."""
        directory = prefix.rstrip("/")
        parent = directory.rsplit("/", 1)[0] if "/" in directory else ""
        ancestors = [f"{'/'.join(directory.split('/')[: i + 1])}/" for i in range(directory.count("/"))]
        values = {"{bucket}": bucket, "{prefix}": prefix, "{dir}": directory, "{kms_key_arn}": key_arn}

        def fill(text: str) -> str | None:
            if "{parent}" in text and not parent:
                return None
            text = text.replace("{dir}/", prefix).replace("{parent}", parent)
            for placeholder, value in values.items():
                text = text.replace(placeholder, value)
            return text

        steps = []
        for raw in self.requests:
            key, query = fill(raw["key"]), {n: fill(v) for n, v in raw["query"].items()}
            headers = {n: fill(v) for n, v in raw["headers"].items()}
            if key is None or None in query.values() or (raw["key"] and not key):
                continue
            deleted: list[str] = []
            for entry in raw.get("delete_keys", []):
                deleted += ancestors if entry == "{ancestor_markers}" else [fill(entry) or ""]
            deleted = [k for k in deleted if k]
            if "delete" in query and not deleted:
                continue
            request = HttpRequest(
                method=raw["method"],
                bucket=fill(raw["bucket"]) or bucket,
                key=key,
                query={n: v for n, v in query.items() if v is not None},
                headers={n: v for n, v in headers.items() if v is not None},
                delete_keys=tuple(deleted),
                absent=bool(raw.get("absent") or raw.get("status") == 404),
            )
            steps.append(Step(request, raw.get("on_denied"), raw.get("source")))
        return steps


@cache
def trace_document(client: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((TRACES / f"{client}.json").read_text())
    return document


def all_flows() -> list[Flow]:
    return [
        Flow(client, f["name"], frozenset(f["needs"]), f["description"], tuple(f["requests"]))
        for client in CLIENTS
        for f in trace_document(client)["flows"]
    ]


@dataclass(frozen=True)
class RoleView:
    """One workload's role in a planned stack: who it is, what it was granted, what decides its requests."""

    workload: str
    caller: Caller
    grants: tuple[tuple[str, str, str], ...]  # (bucket, prefix, access)
    documents: Documents
    encryption: Mapping[str, BucketEncryption]

    def key_arn(self, bucket: str) -> str:
        encryption = self.encryption.get(bucket)
        return (encryption.key_arn if encryption else None) or ""


def plan_report(plan: PlanResult) -> dict[str, Any]:
    return {"resources": [r.report_entry() for r in plan.custom_resources], "outputs": plan.outputs}


def _parse(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def bucket_encryption(report: Mapping[str, Any], bucket: str, key_arn: str | None) -> BucketEncryption:
    """The planned default encryption of a created bucket; an adopted bucket is assumed to have the
    default its owner must set (README: SSE-KMS with the configured key, Bucket Keys on)."""
    for resource in report["resources"]:
        if resource["type"] == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
            inputs = resource["inputs"]
            if inputs.get("bucket") == bucket:
                (rule,) = inputs["rules"]
                default = rule["applyServerSideEncryptionByDefault"]
                assert default["sseAlgorithm"] == "aws:kms", f"{bucket}: default encryption is not SSE-KMS"
                return BucketEncryption(default.get("kmsMasterKeyId"), bool(rule.get("bucketKeyEnabled")))
    return BucketEncryption(key_arn, True)


def role_views(plan: PlanResult) -> list[RoleView]:
    report = plan_report(plan)
    views = []
    for workload, output in plan.outputs["workloads"].items():
        planned = PlanDocuments(report, workload)
        buckets = plan.outputs["buckets"]
        key_policies = {}
        encryption = {}
        for bucket in buckets:
            key_arn, key_policy = planned.bucket_key(bucket)
            if key_arn and key_policy is not None:
                key_policies[key_arn] = (f"key policy of {bucket}", key_policy)
            encryption[bucket] = bucket_encryption(report, bucket, key_arn)
        documents = Documents(
            identity=planned.identity_policies(),
            bucket_policies={bucket: planned.bucket_policy(bucket) for bucket in buckets},
            key_policies=key_policies,
        )
        grants = tuple((g["bucket"], g["prefix"], g["access"]) for g in output["grants"])
        views.append(RoleView(workload, Caller(planned.role_arn, planned.region), grants, documents, encryption))
    return views
