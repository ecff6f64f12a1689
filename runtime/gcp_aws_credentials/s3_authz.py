"""What S3 authorizes for one HTTP request: the IAM checks and the KMS calls S3 makes for the caller.

S3 authorizes each HTTP request on its own, with condition keys taken from that request's headers and
query, not from the API call a client library wraps around several requests. This module maps a request
(method, bucket, key, query, headers) to:

- the S3 API operation (S3 API Reference, one page per operation, "HTTP request" syntax);
- the IAM actions and resources S3 checks (Service Authorization Reference, "Actions, resources, and
  condition keys for Amazon S3"; S3 User Guide, "Required permissions for Amazon S3 API operations");
- the condition context: global keys (`aws:SecureTransport`, `aws:PrincipalArn`, ...) and the `s3:` keys
  taken from this request's own headers and query; a header the request does not carry is ABSENT from
  the context, which is what makes negated operators true (IAM User Guide, "Condition operators");
- the KMS calls S3 makes on the caller's behalf with the caller's permissions (S3 User Guide, "Using
  server-side encryption with AWS KMS keys (SSE-KMS)", "Permissions"; "Multipart upload and permissions"),
  with `kms:ViaService`, `kms:CallerAccount` and the encryption context `aws:s3:arn`: the bucket ARN with
  S3 Bucket Keys, else the object ARN (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket
  Keys", "Changes to note before enabling an S3 Bucket Key").

Facts this model relies on that AWS does not state in one sentence (UNCONFIRMED, see README):
- UploadPart, UploadPartCopy and CompleteMultipartUpload carry no SSE headers, so the SSE condition keys
  are absent there (S3 rejects SSE headers on those requests; boto/botocore#471, boto/s3transfer#274);
- a GET/HEAD of a missing key answers 404 only if the caller may also `s3:ListBucket`, evaluated with
  `s3:prefix` = the requested key (HeadObject/GetObject API reference, "Permissions"; the key as prefix:
  ceph/ceph#68577, which matched AWS's behaviour); otherwise S3 answers 403;
- HeadObject reads metadata only and makes no KMS call; GetObject decrypts (kms:Decrypt);
- which of GenerateDataKey/Decrypt S3 calls for a part is not documented per request: the model asks for
  both on UploadPart/UploadPartCopy, Decrypt on CompleteMultipartUpload, GenerateDataKey on PutObject,
  CopyObject and CreateMultipartUpload (the documented union: "the requester must have permission to the
  kms:Decrypt and kms:GenerateDataKey actions", "Multipart upload and permissions").
Keys whose value is uncertain in a KMS call made through S3 (`aws:SecureTransport`, `aws:SourceIp`) are
left out, so a policy that depended on them fails these checks instead of passing by luck.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Service = Literal["s3", "kms"]

SSE = "x-amz-server-side-encryption"
SSE_KMS_KEY_ID = "x-amz-server-side-encryption-aws-kms-key-id"
SSE_CUSTOMER_ALGORITHM = "x-amz-server-side-encryption-customer-algorithm"
COPY_SOURCE = "x-amz-copy-source"
# Request headers that S3 turns into condition keys of the same name with the `s3:` prefix (Service
# Authorization Reference, S3 condition keys). Only requests that may carry them do.
_HEADER_KEYS = (
    SSE,
    SSE_KMS_KEY_ID,
    SSE_CUSTOMER_ALGORITHM,
    "x-amz-acl",
    "x-amz-storage-class",
    "x-amz-metadata-directive",
    COPY_SOURCE,
    "x-amz-server-side-encryption-context",
)
# Operations that accept SSE headers (PutObject, CopyObject, CreateMultipartUpload API reference); the
# others, parts and completion included, do not carry them.
_TAKES_SSE_HEADERS = {"PutObject", "CopyObject", "CreateMultipartUpload"}


@dataclass(frozen=True)
class HttpRequest:
    """One S3 REST request, reduced to what authorization depends on.

    `headers` names are lower case. `delete_keys` are the keys in a DeleteObjects body. `absent` says the
    object does not exist when the request is made (a GET/HEAD then answers 404, or 403 without list
    permission)."""

    method: str
    bucket: str
    key: str = ""
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    delete_keys: tuple[str, ...] = ()
    absent: bool = False

    def describe(self) -> str:
        query = "&".join(f"{k}={v}" if v else k for k, v in sorted(self.query.items()))
        path = f"/{self.bucket}/{self.key}" if self.key else f"/{self.bucket}"
        sse = {k: v for k, v in self.headers.items() if k.startswith("x-amz-server-side-encryption")}
        extra = f" {sse}" if sse else ""
        if COPY_SOURCE in self.headers:
            extra += f" copy-source={self.headers[COPY_SOURCE]}"
        return f"{self.method} {path}{'?' + query if query else ''}{extra}"


@dataclass(frozen=True)
class Caller:
    """The role session sending the request."""

    role_arn: str
    region: str
    tls: bool = True

    @property
    def account(self) -> str:
        return self.role_arn.split(":")[4]


@dataclass(frozen=True)
class BucketEncryption:
    """A bucket's default encryption: SSE-KMS with `key_arn` (None: SSE-S3), with or without Bucket Keys."""

    key_arn: str | None
    bucket_key: bool = True


@dataclass(frozen=True)
class Check:
    """One authorization S3 performs for a request: an S3 action, or a KMS call S3 makes for the caller.

    `purpose` is "access" (the request fails if denied) or "not-found" (only decides whether a missing
    object answers 404 or 403)."""

    service: Service
    action: str
    resource: str
    context: Mapping[str, Sequence[str]]
    why: str
    purpose: Literal["access", "not-found"] = "access"


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def operation(request: HttpRequest) -> str:
    """The S3 API operation an HTTP request is (S3 API Reference, each operation's "Request Syntax")."""
    method, query, headers = request.method.upper(), request.query, request.headers
    if not request.key:
        bucket_operations = {
            ("GET", "uploads"): "ListMultipartUploads",
            ("GET", "versions"): "ListObjectVersions",
            ("GET", "location"): "GetBucketLocation",
            ("POST", "delete"): "DeleteObjects",
        }
        for (verb, name), found in bucket_operations.items():
            if method == verb and name in query:
                return found
        if method == "HEAD":
            return "HeadBucket"
        if method == "GET" and not set(query) - {
            "list-type",
            "prefix",
            "delimiter",
            "max-keys",
            "continuation-token",
            "start-after",
            "encoding-type",
            "fetch-owner",
            "marker",
        }:
            return "ListObjectsV2" if query.get("list-type") == "2" else "ListObjects"
    else:
        if method == "HEAD" and not query.keys() - {"versionId", "partNumber"}:
            return "HeadObject"
        if method == "GET":
            return "ListParts" if "uploadId" in query else "GetObject"
        if method == "PUT" and "uploadId" in query and "partNumber" in query:
            return "UploadPartCopy" if COPY_SOURCE in headers else "UploadPart"
        if method == "PUT" and not query.keys() - {"versionId"}:
            return "CopyObject" if COPY_SOURCE in headers else "PutObject"
        if method == "POST" and "uploads" in query:
            return "CreateMultipartUpload"
        if method == "POST" and "uploadId" in query:
            return "CompleteMultipartUpload"
        if method == "DELETE":
            return "AbortMultipartUpload" if "uploadId" in query else "DeleteObject"
    raise ValueError(f"request outside the modelled S3 operations: {request.describe()}")


def copy_source(request: HttpRequest) -> tuple[str, str, str | None]:
    """(bucket, key, versionId) of `x-amz-copy-source`: `/bucket/key` or `bucket/key`, URL-encoded,
    optionally `?versionId=` (CopyObject API reference)."""
    raw = request.headers[COPY_SOURCE]
    path, _, query = raw.partition("?")
    bucket, _, key = urllib.parse.unquote(path).lstrip("/").partition("/")
    version = urllib.parse.parse_qs(query).get("versionId", [None])[0]
    return bucket, key, version


def _global_context(caller: Caller) -> dict[str, list[str]]:
    """Global keys every request of an assumed-role session carries (IAM User Guide, "AWS global
    condition context keys"); `aws:PrincipalArn` of a role session is the role's ARN."""
    return {
        "aws:securetransport": ["true" if caller.tls else "false"],
        "aws:principalarn": [caller.role_arn],
        "aws:principalaccount": [caller.account],
        "aws:principaltype": ["AssumedRole"],
        "aws:principalisawsservice": ["false"],
        "aws:viaawsservice": ["false"],
    }


def _s3_context(request: HttpRequest, caller: Caller, op: str) -> dict[str, list[str]]:
    context = _global_context(caller)
    for header in _HEADER_KEYS:
        if header in request.headers and (op in _TAKES_SSE_HEADERS or not header.startswith(SSE)):
            context[f"s3:{header}"] = [request.headers[header]]
    return context


def _list_context(request: HttpRequest, caller: Caller) -> dict[str, list[str]]:
    """ListObjects(V2)/ListObjectVersions: `s3:prefix`, `s3:delimiter`, `s3:max-keys` from the query,
    present only when the request sends the parameter (S3 User Guide, bucket policy examples: "a list
    request without a prefix has no s3:prefix")."""
    context = _global_context(caller)
    for name in ("prefix", "delimiter", "max-keys"):
        if name in request.query:
            context[f"s3:{name}"] = [request.query[name]]
    return context


class KeyLedger:
    """Which KMS key encrypts which object or pending upload, as a flow of requests goes on.

    Objects written before the flow use the bucket default; a write naming a key id uses that key."""

    def __init__(self, encryption: Mapping[str, BucketEncryption]) -> None:
        self._encryption = encryption
        self._objects: dict[tuple[str, str], str | None] = {}

    def bucket(self, bucket: str) -> BucketEncryption:
        return self._encryption.get(bucket, BucketEncryption(None))

    def of_object(self, bucket: str, key: str) -> str | None:
        return self._objects.get((bucket, key), self.bucket(bucket).key_arn)

    def written(self, bucket: str, key: str, request: HttpRequest) -> str | None:
        """The key a write with these headers uses: the header's key id, `aws/s3` for `aws:kms` without
        one (S3 User Guide, "Specifying server-side encryption with AWS KMS"), none for SSE-S3/SSE-C,
        else the bucket default."""
        sse = request.headers.get(SSE)
        if SSE_CUSTOMER_ALGORITHM in request.headers or sse == "AES256":
            key_arn = None
        elif sse == "aws:kms":
            key_arn = request.headers.get(SSE_KMS_KEY_ID) or "alias/aws/s3"
        else:
            key_arn = self.bucket(bucket).key_arn
        self._objects[(bucket, key)] = key_arn
        return key_arn


def _kms(
    caller: Caller, ledger: KeyLedger, bucket: str, key: str, key_arn: str | None, actions: Sequence[str], why: str
) -> list[Check]:
    if key_arn is None:
        return []
    encryption_context = bucket_arn(bucket) if ledger.bucket(bucket).bucket_key else object_arn(bucket, key)
    context = {
        "kms:viaservice": [f"s3.{caller.region}.amazonaws.com"],
        "kms:calleraccount": [caller.account],
        "kms:encryptioncontext:aws:s3:arn": [encryption_context],
        "kms:encryptioncontextkeys": ["aws:s3:arn"],
        "aws:principalarn": [caller.role_arn],
        "aws:principalaccount": [caller.account],
        "aws:principaltype": ["AssumedRole"],
        "aws:principalisawsservice": ["false"],
        "aws:viaawsservice": ["true"],
    }
    return [Check("kms", action, key_arn, context, why) for action in actions]


def checks(request: HttpRequest, caller: Caller, ledger: KeyLedger) -> list[Check]:
    """Every authorization S3 performs for `request`, in order; updates `ledger` for writes."""
    op = operation(request)
    bucket, key = request.bucket, request.key
    s3_context = _s3_context(request, caller, op)
    on_object = object_arn(bucket, key)
    found: list[Check] = []

    def s3(action: str, resource: str, why: str, context: Mapping[str, Sequence[str]] = s3_context) -> None:
        found.append(Check("s3", action, resource, context, why))

    if op in ("HeadObject", "GetObject"):
        action = "s3:GetObjectVersion" if "versionId" in request.query else "s3:GetObject"
        s3(action, on_object, f"{op} is authorized as {action} (S3 API reference, {op}, Permissions)")
        if request.absent:
            list_context = {**_global_context(caller), "s3:prefix": [key]}
            found.append(
                Check(
                    "s3",
                    "s3:ListBucket",
                    bucket_arn(bucket),
                    list_context,
                    f"{op} of a missing key answers 404 only with s3:ListBucket (s3:prefix = the key), else 403",
                    "not-found",
                )
            )
        elif op == "GetObject":
            found += _kms(caller, ledger, bucket, key, ledger.of_object(bucket, key), ["kms:Decrypt"], "S3 decrypts")
    elif op in ("ListObjectsV2", "ListObjects"):
        s3("s3:ListBucket", bucket_arn(bucket), f"{op} is authorized as s3:ListBucket", _list_context(request, caller))
    elif op == "ListObjectVersions":
        s3("s3:ListBucketVersions", bucket_arn(bucket), op, _list_context(request, caller))
    elif op == "HeadBucket":
        s3("s3:ListBucket", bucket_arn(bucket), "HeadBucket is authorized as s3:ListBucket")
    elif op == "GetBucketLocation":
        s3("s3:GetBucketLocation", bucket_arn(bucket), op)
    elif op == "ListMultipartUploads":
        s3(
            "s3:ListBucketMultipartUploads",
            bucket_arn(bucket),
            "ListMultipartUploads is authorized as s3:ListBucketMultipartUploads on the bucket (no s3:prefix)",
        )
    elif op == "DeleteObjects":
        for deleted in request.delete_keys:
            s3("s3:DeleteObject", object_arn(bucket, deleted), "DeleteObjects is authorized per key as s3:DeleteObject")
    elif op == "DeleteObject":
        action = "s3:DeleteObjectVersion" if "versionId" in request.query else "s3:DeleteObject"
        s3(action, on_object, op)
    elif op == "AbortMultipartUpload":
        s3("s3:AbortMultipartUpload", on_object, op)
    elif op == "ListParts":
        s3("s3:ListMultipartUploadParts", on_object, "ListParts is authorized as s3:ListMultipartUploadParts")
    elif op in ("PutObject", "CreateMultipartUpload"):
        s3("s3:PutObject", on_object, f"{op} is authorized as s3:PutObject with this request's SSE headers")
        found += _kms(
            caller, ledger, bucket, key, ledger.written(bucket, key, request), ["kms:GenerateDataKey"], "S3 encrypts"
        )
    elif op == "CopyObject":
        source_bucket, source_key, version = copy_source(request)
        source_action = "s3:GetObjectVersion" if version else "s3:GetObject"
        s3(source_action, object_arn(source_bucket, source_key), f"CopyObject reads the source ({source_action})")
        s3("s3:PutObject", on_object, "CopyObject writes the destination (s3:PutObject, with its SSE headers)")
        source_key_arn = ledger.of_object(source_bucket, source_key)
        found += _kms(caller, ledger, source_bucket, source_key, source_key_arn, ["kms:Decrypt"], "decrypt the source")
        target_key_arn = ledger.written(bucket, key, request)
        found += _kms(caller, ledger, bucket, key, target_key_arn, ["kms:GenerateDataKey"], "encrypt the copy")
    elif op in ("UploadPart", "UploadPartCopy"):
        s3("s3:PutObject", on_object, f"{op} is authorized as s3:PutObject; it carries no SSE headers")
        if op == "UploadPartCopy":
            source_bucket, source_key, version = copy_source(request)
            source_action = "s3:GetObjectVersion" if version else "s3:GetObject"
            s3(
                source_action,
                object_arn(source_bucket, source_key),
                f"UploadPartCopy reads the source ({source_action})",
            )
            found += _kms(
                caller,
                ledger,
                source_bucket,
                source_key,
                ledger.of_object(source_bucket, source_key),
                ["kms:Decrypt"],
                "decrypt the source",
            )
        found += _kms(
            caller,
            ledger,
            bucket,
            key,
            ledger.of_object(bucket, key),
            ["kms:GenerateDataKey", "kms:Decrypt"],
            "parts of an SSE-KMS upload (Multipart upload and permissions)",
        )
    elif op == "CompleteMultipartUpload":
        s3("s3:PutObject", on_object, "CompleteMultipartUpload is authorized as s3:PutObject; no SSE headers")
        found += _kms(
            caller, ledger, bucket, key, ledger.of_object(bucket, key), ["kms:Decrypt"], "S3 reads the encrypted parts"
        )
    return found
