"""The request model: which checks S3 makes for one HTTP request, and how they are decided.

Mapping per the S3 API Reference ("Permissions" of each operation) and the Service Authorization
Reference for S3; KMS calls per the S3 User Guide ("Multipart upload and permissions", SSE-KMS
"Permissions", "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys").
"""

from __future__ import annotations

from typing import Any

import pytest

from gcp_aws_credentials.authorize import Documents, decide_kms, replay
from gcp_aws_credentials.flows import all_flows
from gcp_aws_credentials.s3_authz import (
    BucketEncryption,
    Caller,
    Check,
    HttpRequest,
    KeyLedger,
    checks,
    copy_source,
    operation,
)

ROLE = "arn:aws:iam::111122223333:role/gcp-federation/dev/gcpfed-dev-etl"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
OTHER_KEY = "arn:aws:kms:eu-west-1:111122223333:key/99999999-2222-3333-4444-555555555555"
CALLER = Caller(ROLE, "eu-west-1")
SSE = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": KEY}


def _checks(request: HttpRequest, bucket_key: bool = True, ledger: KeyLedger | None = None) -> list[Check]:
    return checks(request, CALLER, ledger or KeyLedger({"b": BucketEncryption(KEY, bucket_key)}))


def _summary(found: list[Check]) -> list[tuple[str, str]]:
    return [(c.action, c.resource) for c in found]


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (HttpRequest("HEAD", "b", "k"), "HeadObject"),
        (HttpRequest("GET", "b", "k", headers={"range": "bytes=0-9"}), "GetObject"),
        (HttpRequest("GET", "b", query={"list-type": "2", "prefix": "p/"}), "ListObjectsV2"),
        (HttpRequest("GET", "b", query={"prefix": "p/", "marker": "x"}), "ListObjects"),
        (HttpRequest("GET", "b", query={"uploads": "", "prefix": "p/"}), "ListMultipartUploads"),
        (HttpRequest("GET", "b", query={"versions": ""}), "ListObjectVersions"),
        (HttpRequest("HEAD", "b"), "HeadBucket"),
        (HttpRequest("POST", "b", query={"delete": ""}), "DeleteObjects"),
        (HttpRequest("PUT", "b", "k"), "PutObject"),
        (HttpRequest("PUT", "b", "k", headers={"x-amz-copy-source": "b/src"}), "CopyObject"),
        (HttpRequest("POST", "b", "k", query={"uploads": ""}), "CreateMultipartUpload"),
        (HttpRequest("PUT", "b", "k", query={"partNumber": "1", "uploadId": "u"}), "UploadPart"),
        (
            HttpRequest(
                "PUT", "b", "k", query={"partNumber": "1", "uploadId": "u"}, headers={"x-amz-copy-source": "b/s"}
            ),
            "UploadPartCopy",
        ),
        (HttpRequest("POST", "b", "k", query={"uploadId": "u"}), "CompleteMultipartUpload"),
        (HttpRequest("DELETE", "b", "k", query={"uploadId": "u"}), "AbortMultipartUpload"),
        (HttpRequest("GET", "b", "k", query={"uploadId": "u"}), "ListParts"),
        (HttpRequest("DELETE", "b", "k"), "DeleteObject"),
    ],
)
def test_operation_of_a_request(request_: HttpRequest, expected: str) -> None:
    assert operation(request_) == expected


@pytest.mark.parametrize(
    "request_",
    [
        HttpRequest("PUT", "b", query={"policy": ""}),
        HttpRequest("GET", "b", query={"acl": ""}),
        HttpRequest("PATCH", "b", "k"),
    ],
)
def test_requests_outside_the_model_are_refused(request_: HttpRequest) -> None:
    with pytest.raises(ValueError, match="outside the modelled S3 operations"):
        operation(request_)


def test_head_is_get_object_without_kms_and_a_missing_key_needs_list_with_the_key_as_prefix() -> None:
    assert _summary(_checks(HttpRequest("HEAD", "b", "curated/daily/x"))) == [
        ("s3:GetObject", "arn:aws:s3:::b/curated/daily/x")
    ]
    missing = _checks(HttpRequest("HEAD", "b", "curated/daily", absent=True))
    assert _summary(missing) == [("s3:GetObject", "arn:aws:s3:::b/curated/daily"), ("s3:ListBucket", "arn:aws:s3:::b")]
    assert missing[1].purpose == "not-found"
    assert missing[1].context["s3:prefix"] == ["curated/daily"]


def test_get_decrypts_with_the_bucket_arn_as_context_when_bucket_keys_are_on() -> None:
    with_bucket_key = _checks(HttpRequest("GET", "b", "p/k"))
    assert _summary(with_bucket_key) == [("s3:GetObject", "arn:aws:s3:::b/p/k"), ("kms:Decrypt", KEY)]
    kms = with_bucket_key[1].context
    assert kms["kms:encryptioncontext:aws:s3:arn"] == ["arn:aws:s3:::b"]
    assert kms["kms:viaservice"] == ["s3.eu-west-1.amazonaws.com"]
    assert kms["kms:calleraccount"] == ["111122223333"]
    assert "aws:securetransport" not in kms  # unknown on the service's call: left out, never guessed
    without = _checks(HttpRequest("GET", "b", "p/k"), bucket_key=False)
    assert without[1].context["kms:encryptioncontext:aws:s3:arn"] == ["arn:aws:s3:::b/p/k"]


def test_list_keys_come_from_the_query_and_are_absent_when_not_sent() -> None:
    (listed,) = _checks(
        HttpRequest("GET", "b", query={"list-type": "2", "prefix": "p/", "delimiter": "/", "max-keys": "2"})
    )
    assert (listed.action, listed.context["s3:prefix"], listed.context["s3:delimiter"]) == (
        "s3:ListBucket",
        ["p/"],
        ["/"],
    )
    assert listed.context["s3:max-keys"] == ["2"]
    (bare,) = _checks(HttpRequest("GET", "b", query={"list-type": "2"}))
    assert "s3:prefix" not in bare.context and "s3:delimiter" not in bare.context
    (uploads,) = _checks(HttpRequest("GET", "b", query={"uploads": "", "prefix": "p/"}))
    assert uploads.action == "s3:ListBucketMultipartUploads" and "s3:prefix" not in uploads.context


def test_multipart_sse_headers_only_on_create_and_kms_on_the_uploads_key() -> None:
    ledger = KeyLedger({"b": BucketEncryption(OTHER_KEY)})
    create = checks(HttpRequest("POST", "b", "p/k", query={"uploads": ""}, headers=SSE), CALLER, ledger)
    assert _summary(create) == [("s3:PutObject", "arn:aws:s3:::b/p/k"), ("kms:GenerateDataKey", KEY)]
    assert create[0].context["s3:x-amz-server-side-encryption-aws-kms-key-id"] == [KEY]
    # a part carrying SSE headers anyway: S3 takes no SSE condition keys from a part
    part = checks(
        HttpRequest("PUT", "b", "p/k", query={"partNumber": "1", "uploadId": "u"}, headers=SSE), CALLER, ledger
    )
    assert _summary(part) == [
        ("s3:PutObject", "arn:aws:s3:::b/p/k"),
        ("kms:GenerateDataKey", KEY),
        ("kms:Decrypt", KEY),
    ]
    assert not any(k.startswith("s3:x-amz-server-side-encryption") for k in part[0].context)
    complete = checks(HttpRequest("POST", "b", "p/k", query={"uploadId": "u"}), CALLER, ledger)
    assert _summary(complete) == [("s3:PutObject", "arn:aws:s3:::b/p/k"), ("kms:Decrypt", KEY)]


def test_kms_key_of_a_write_follows_its_headers() -> None:
    def key_of(headers: dict[str, str]) -> list[str]:
        return [c.resource for c in _checks(HttpRequest("PUT", "b", "k", headers=headers)) if c.service == "kms"]

    assert key_of({}) == [KEY]  # the bucket default
    assert key_of(SSE) == [KEY]
    assert key_of({"x-amz-server-side-encryption": "aws:kms"}) == ["alias/aws/s3"]  # not the bucket default
    assert key_of({"x-amz-server-side-encryption": "AES256"}) == []
    assert key_of({"x-amz-server-side-encryption-customer-algorithm": "AES256"}) == []


def test_copies_read_the_source_and_write_the_destination() -> None:
    copy = _checks(HttpRequest("PUT", "b", "p/dst", headers={"x-amz-copy-source": "/b/p/s%20rc?versionId=v1", **SSE}))
    assert _summary(copy) == [
        ("s3:GetObjectVersion", "arn:aws:s3:::b/p/s rc"),
        ("s3:PutObject", "arn:aws:s3:::b/p/dst"),
        ("kms:Decrypt", KEY),
        ("kms:GenerateDataKey", KEY),
    ]
    assert copy[1].context["s3:x-amz-copy-source"] == ["/b/p/s%20rc?versionId=v1"]
    part_copy = _checks(
        HttpRequest(
            "PUT", "b", "p/dst", query={"partNumber": "2", "uploadId": "u"}, headers={"x-amz-copy-source": "b/p/src"}
        )
    )
    assert _summary(part_copy)[:2] == [
        ("s3:PutObject", "arn:aws:s3:::b/p/dst"),
        ("s3:GetObject", "arn:aws:s3:::b/p/src"),
    ]
    assert copy_source(HttpRequest("PUT", "b", "k", headers={"x-amz-copy-source": "other/a/b"})) == (
        "other",
        "a/b",
        None,
    )


def test_bulk_delete_is_authorized_per_key() -> None:
    found = _checks(HttpRequest("POST", "b", query={"delete": ""}, delete_keys=("p/a", "q/b")))
    assert _summary(found) == [("s3:DeleteObject", "arn:aws:s3:::b/p/a"), ("s3:DeleteObject", "arn:aws:s3:::b/q/b")]


def test_global_keys_of_the_role_session() -> None:
    (check,) = checks(HttpRequest("DELETE", "b", "k"), Caller(ROLE, "eu-west-1", tls=False), KeyLedger({}))
    assert check.context["aws:securetransport"] == ["false"]
    assert check.context["aws:principalarn"] == [ROLE]
    assert check.context["aws:principalisawsservice"] == ["false"]


# --- KMS decisions --------------------------------------------------------------------------------

VIA_S3 = {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}


def _key_policy(principal: Any, context_arn: str = "arn:aws:s3:::b") -> dict[str, Any]:
    return {
        "Statement": [
            {
                "Sid": "Use",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": "s3.eu-west-1.amazonaws.com",
                        "kms:EncryptionContext:aws:s3:arn": context_arn,
                    }
                },
            }
        ]
    }


IDENTITY = (
    "identity",
    {"Statement": [{"Sid": "Kms", "Effect": "Allow", "Action": "kms:*", "Resource": KEY, "Condition": VIA_S3}]},
)


def _decrypt(documents: Documents, bucket_key: bool = True) -> bool:
    (_, kms) = _checks(HttpRequest("GET", "b", "p/k"), bucket_key=bucket_key)
    return decide_kms(kms, CALLER, documents).allowed


def test_kms_key_policy_to_the_account_needs_an_identity_allow_too() -> None:
    root = "arn:aws:iam::111122223333:root"
    keys = {KEY: ("key policy", _key_policy(root))}
    assert _decrypt(Documents([IDENTITY], key_policies=keys)) is True
    assert _decrypt(Documents([], key_policies=keys)) is False
    assert _decrypt(Documents([], key_policies={KEY: ("key policy", _key_policy(ROLE))})) is True  # names the role


def test_kms_encryption_context_follows_bucket_keys() -> None:
    keys = {KEY: ("key policy", _key_policy("arn:aws:iam::111122223333:root"))}
    assert _decrypt(Documents([IDENTITY], key_policies=keys), bucket_key=True) is True
    assert _decrypt(Documents([IDENTITY], key_policies=keys), bucket_key=False) is False  # object ARN context


def test_adopted_key_delegates_to_iam_and_aws_managed_key_allows_the_account() -> None:
    assert _decrypt(Documents([IDENTITY])) is True
    assert _decrypt(Documents([])) is False
    put = _checks(HttpRequest("PUT", "b", "k", headers={"x-amz-server-side-encryption": "aws:kms"}))
    assert decide_kms(put[1], CALLER, Documents([])).allowed is True  # aws/s3: the bucket policy must stop it


def test_model_denies_multipart_uploads_under_an_sse_header_required_deny() -> None:
    """Guard: the model reproduces issue 12's failure. Under a bucket policy that denies PutObject when
    the SSE header is missing, boto3's upload_file dies at its first UploadPart."""
    upload = next(f for f in all_flows() if f.title == "boto3:upload_file_naming_key")
    allow = {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::b/*"}
    deny = {
        "Sid": "DenyUploadsWithoutSseHeader",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::b/*",
        "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
    }
    documents = Documents(
        [("identity", {"Statement": [allow]}), IDENTITY], {"b": [("bucket policy", {"Statement": [deny]})]}
    )
    steps = upload.on("b", "p/", KEY)
    results = replay([s.request for s in steps], CALLER, documents, KeyLedger({"b": BucketEncryption(KEY)}))
    verdicts = [(operation(r.request), r.allowed) for r in results]
    assert verdicts[0] == ("CreateMultipartUpload", True)
    assert ("UploadPart", False) in verdicts and ("CompleteMultipartUpload", False) in verdicts
