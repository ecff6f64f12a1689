"""Client request traces (the `traces/` package data) placed on a bucket prefix, and replayed against a plan.

A trace is the ordered list of HTTP requests a client sends for one documented operation: boto3 and the
AWS CLI captured against a moto server (tools/capture_traces.py), Hadoop S3A written from its source
(tools/s3a_traces.py). Placeholders: `{bucket}`, `{prefix}` (with its slash), `{dir}` (without),
`{parent}` (the directory above `{dir}`), `{kms_key_arn}`, and `{ancestor_markers}` in a delete list
(every `dir/` marker above `{prefix}`). A request on `{parent}` is dropped when there is none, and a
request on an object key that comes out empty is dropped: S3A sends neither for the bucket root.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .authorize import Documents, RequestResult, replay
from .explain import BUCKET_ENCRYPTION, Explanation, PlanDocuments
from .s3_authz import BucketEncryption, Caller, HttpRequest, KeyLedger
from .state import StackState

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
            key = fill(raw["key"])
            query = {name: fill(value) for name, value in raw["query"].items()}
            if key is None or (raw["key"] and not key) or any(v is None for v in query.values()):
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
                headers={n: fill(v) or "" for n, v in raw["headers"].items()},
                delete_keys=tuple(deleted),
                absent=bool(raw.get("absent") or raw.get("status") == 404),
            )
            steps.append(Step(request, raw.get("on_denied"), raw.get("source")))
        return steps


@cache
def trace_document(client: str) -> dict[str, Any]:
    if client not in CLIENTS:
        raise ValueError(f"no traces for client {client!r} (known: {', '.join(CLIENTS)})")
    document: dict[str, Any] = json.loads(resources.files(__package__).joinpath(f"traces/{client}.json").read_text())
    return document


def all_flows() -> list[Flow]:
    return [
        Flow(client, f["name"], frozenset(f["needs"]), f["description"], tuple(f["requests"]))
        for client in CLIENTS
        for f in trace_document(client)["flows"]
    ]


def find_flow(title: str) -> Flow:
    """A flow by `client:name` (e.g. `boto3:upload_file`, `s3a:getFileStatus_dir@3.4+`)."""
    flows = {flow.title: flow for flow in all_flows()}
    if title not in flows:
        raise ValueError(f"unknown flow {title!r}; known flows: {', '.join(flows)}")
    return flows[title]


@dataclass(frozen=True)
class PlannedRole:
    """One workload's role in a `make plan` report: who it is, its grants, what decides its requests."""

    workload: str
    caller: Caller
    grants: tuple[tuple[str, str, str], ...]  # (bucket, prefix, access)
    documents: Documents
    encryption: Mapping[str, BucketEncryption]

    def key_arn(self, bucket: str) -> str:
        encryption = self.encryption.get(bucket)
        return (encryption.key_arn if encryption else None) or ""

    def run(self, flow: Flow, bucket: str, prefix: str) -> list[tuple[Step, RequestResult]]:
        steps = flow.on(bucket, prefix, self.key_arn(bucket))
        results = replay([s.request for s in steps], self.caller, self.documents, KeyLedger(self.encryption))
        return list(zip(steps, results, strict=True))


def bucket_encryption(state: StackState, bucket: str, key_arn: str | None) -> BucketEncryption:
    """The bucket's default encryption from the stack. A bucket without one there (adopted) is assumed to
    have what its owner must set (README, "Using the bucket from clients": SSE-KMS with the configured
    key; Bucket Keys assumed on)."""
    for config in state.of_type(*BUCKET_ENCRYPTION):
        if config.value("bucket") == bucket:
            (rule,) = config.value("rules")
            default = rule["applyServerSideEncryptionByDefault"]
            key = default.get("kmsMasterKeyId") if default.get("sseAlgorithm") == "aws:kms" else None
            return BucketEncryption(key, bool(rule.get("bucketKeyEnabled")))
    return BucketEncryption(key_arn, True)


def planned_role(state: StackState | Mapping[str, Any], workload: str) -> PlannedRole:
    """A workload's role from a `make plan` report or a stack export."""
    planned = PlanDocuments(state, workload)
    buckets = planned.state.outputs.get("buckets") or {}
    key_policies = {}
    encryption = {}
    for bucket in buckets:
        key_arn, key_policy = planned.bucket_key(bucket)
        if key_arn and key_policy is not None:
            key_policies[key_arn] = (f"key policy of {bucket}", key_policy)
        encryption[bucket] = bucket_encryption(planned.state, bucket, key_arn)
    documents = Documents(
        identity=planned.identity_policies(),
        bucket_policies={bucket: planned.bucket_policy(bucket) for bucket in buckets},
        key_policies=key_policies,
    )
    outputs = planned.state.outputs["workloads"][planned.workload]
    grants = tuple((g["bucket"], g["prefix"], g["access"]) for g in outputs["grants"])
    return PlannedRole(planned.workload, Caller(planned.role_arn, planned.region), grants, documents, encryption)


def explain_flow(
    state: StackState | Mapping[str, Any], workload: str, title: str, bucket: str, prefix: str
) -> Explanation:
    """Every request of a client flow on `s3://bucket/prefix`, decided against the stack's documents:
    which one fails first, and which statement decides it."""
    role, flow = planned_role(state, workload), find_flow(title)
    lines = [f"Flow {flow.title}: {flow.description}", f"as {role.caller.role_arn} on s3://{bucket}/{prefix}"]
    works = True
    for step, result in role.run(flow, bucket, prefix):
        verdict = "ALLOW" if result.allowed else "DENY "
        tolerated = f" (tolerated: {step.tolerated})" if step.tolerated and not result.allowed else ""
        lines.append(f"  {verdict} {result.request.describe()}{tolerated}")
        for denial in result.denials:
            lines.append(f"        {denial.describe()}")
        works = works and (result.allowed or step.tolerated is not None)
    lines.append(f"Verdict: {'the flow works' if works else 'the flow FAILS'}")
    return Explanation(works, lines)
