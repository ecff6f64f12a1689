"""Record the HTTP requests a botocore-based client (boto3, the AWS CLI) sends, as trace data.

Hooks botocore's `before-send` event (the fully prepared request: method, URL, headers, body) and
`after-call` (the response status) on a session. Only what S3 authorization depends on is kept: method,
key, query, the SSE/copy/ACL headers, the keys of a DeleteObjects body and whether the object was missing
(404). Bucket, prefix and key ARN are replaced by placeholders so that one trace applies to any grant.

Standard library + botocore only: it also runs inside a throwaway AWS CLI virtualenv.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from typing import Any

BUCKET_PLACEHOLDER = "{bucket}"
PREFIX_PLACEHOLDER = "{prefix}"
KEY_ARN_PLACEHOLDER = "{kms_key_arn}"
KEPT_HEADERS = (
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-copy-source",
    "x-amz-copy-source-range",
    "x-amz-metadata-directive",
    "x-amz-acl",
    "x-amz-storage-class",
    "x-amz-tagging",
    "range",
)
VOLATILE_QUERY = {"uploadId": "{upload_id}", "continuation-token": "{token}", "versionId": "{version}"}


class RequestRecorder:
    """Collects the requests sent through the sessions it is attached to (thread-safe)."""

    def __init__(self, bucket: str, prefix: str, key_arn: str) -> None:
        self.bucket, self.prefix, self.key_arn = bucket, prefix, key_arn
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._last = threading.local()  # a call's send and its after-call run on the same thread

    def attach(self, events: Any) -> None:
        """`events`: a botocore session's or client's event emitter (`client.meta.events`)."""
        events.register("before-send.s3", self._before_send)
        events.register("after-call.s3", self._after_call)

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            taken, self.requests = self.requests, []
        return canonical_order(taken)

    def _template(self, text: str) -> str:
        return (
            text.replace(self.key_arn, KEY_ARN_PLACEHOLDER)
            .replace(f"{self.bucket}/{self.prefix}", f"{BUCKET_PLACEHOLDER}/{PREFIX_PLACEHOLDER}")
            .replace(self.prefix, PREFIX_PLACEHOLDER)
        )

    def _before_send(self, request: Any, **_: Any) -> None:
        url = urllib.parse.urlsplit(request.url)
        bucket, _slash, key = urllib.parse.unquote(url.path).lstrip("/").partition("/")
        query = {
            name: VOLATILE_QUERY.get(name, self._template(value))
            for name, value in urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        }
        headers: dict[str, str] = {}
        for name in KEPT_HEADERS:
            value = _header(request.headers, name)
            if value is not None:
                headers[name] = self._template(urllib.parse.unquote(value))
        entry: dict[str, Any] = {
            "method": request.method,
            "bucket": BUCKET_PLACEHOLDER if bucket == self.bucket else bucket,
            "key": self._template(key),
            "query": query,
            "headers": headers,
        }
        if request.method == "POST" and "delete" in query:
            body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
            keys = re.findall(rb"<Key>(.*?)</Key>", body)
            entry["delete_keys"] = sorted(self._template(k.decode()) for k in keys)
        with self._lock:
            entry["sequence"] = len(self.requests)
            self.requests.append(entry)
        self._last.entry = entry

    def _after_call(self, http_response: Any, **_: Any) -> None:
        entry = getattr(self._last, "entry", None)
        if entry is not None:
            entry["status"] = int(http_response.status_code)
            self._last.entry = None


def _header(headers: Any, name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


def _kind(entry: dict[str, Any]) -> tuple[str, tuple[str, ...], bool]:
    volatile = {"partNumber", *VOLATILE_QUERY}
    names = tuple(sorted(n for n in entry["query"] if n not in volatile or n in ("uploadId", "partNumber")))
    return entry["method"], names, "x-amz-copy-source" in entry["headers"]


def _range_start(entry: dict[str, Any]) -> int:
    found = re.search(
        r"bytes=(\d+)-", entry["headers"].get("range", "") + entry["headers"].get("x-amz-copy-source-range", "")
    )
    return int(found.group(1)) if found else -1


def canonical_order(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Transfer threads send parts and ranges in any order; sort by when each kind of request first
    appeared, then part number, byte range and key, so a trace is stable. Authorization is per request,
    so this order loses nothing that matters."""
    first_seen: dict[tuple[str, tuple[str, ...], bool], int] = {}
    for entry in sorted(entries, key=lambda e: e["sequence"]):
        first_seen.setdefault(_kind(entry), entry["sequence"])
    ordered = sorted(
        entries,
        key=lambda e: (first_seen[_kind(e)], int(e["query"].get("partNumber", 0)), _range_start(e), e["key"]),
    )
    return [{k: v for k, v in e.items() if k != "sequence"} for e in ordered]
