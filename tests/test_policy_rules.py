"""Each rule on compliant and violating fixtures, in the shapes the engine sends."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest
from gcp_s3_guard.model import Resource, Rule
from gcp_s3_guard.rules import RULES
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's sentinel for a preview-unknown value
UID = "112233445566778899001"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/0b6c1f5e-7d2a-4c4e-9a51-2f3e8d9c1a7b"
RULE = {r.id: r for r in RULES}


def problems(rule_id: str, typ: str, props: Mapping[str, Any], **config: Any) -> list[str]:
    rule: Rule = RULE[rule_id]
    assert rule.check is not None and rule.applies_to(typ)
    resource = Resource(typ, f"urn:pulumi:s::p::{typ}::r", "r", unknown_checking_proxy(dict(props)))
    return list(rule.check(resource, rule.settings(config)))


def trust(condition: Mapping[str, Any], principal: Any = None, as_string: bool = True, **extra: Any) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": principal or {"Federated": "accounts.google.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
        **extra,
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    return {"assumeRolePolicy": json.dumps(document) if as_string else document, "maxSessionDuration": 3600.0}


GOOD_TRUST = {
    "StringEquals": {
        "accounts.google.com:aud": UID,
        "accounts.google.com:sub": UID,
        "accounts.google.com:oaud": "gcp-s3-federation-dev",
    }
}
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"


# --- trust ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_string", [True, False])
@pytest.mark.parametrize("rule_id", ["GSF001", "GSF002", "GSF003", "GSF004"])
def test_good_trust_passes_as_string_or_object(rule_id: str, as_string: bool) -> None:
    assert problems(rule_id, ROLE, trust(GOOD_TRUST, as_string=as_string)) == []


def test_provider_arn_principal_is_judged_too() -> None:
    principal = {"Federated": "arn:aws:iam::111122223333:oidc-provider/accounts.google.com"}
    found = problems("GSF001", ROLE, trust({"StringEquals": {"accounts.google.com:oaud": "a"}}, principal=principal))
    assert any("does not pin accounts.google.com:aud" in p for p in found)
    assert any("does not pin accounts.google.com:sub" in p for p in found)


@pytest.mark.parametrize(
    "operator", ["StringLike", "ForAllValues:StringEquals", "StringEqualsIfExists", "ForAnyValue:StringLike"]
)
def test_non_exact_operators_are_rejected(operator: str) -> None:
    condition = {
        "StringEquals": {"accounts.google.com:aud": UID, "accounts.google.com:oaud": "a"},
        operator: {"accounts.google.com:sub": [UID]},
    }
    found = problems("GSF001", ROLE, trust(condition))
    assert found == [
        f"statement #0 tests accounts.google.com:sub with {operator}: only plain StringEquals pins it "
        "(StringLike takes patterns, ForAllValues: is true when the key is missing, IfExists passes when it is absent)"
    ]


def test_allowed_audiences_config() -> None:
    assert problems("GSF001", ROLE, trust(GOOD_TRUST), allowedAudiences=["gcp-s3-federation-dev"]) == []
    found = problems("GSF001", ROLE, trust(GOOD_TRUST), allowedAudiences=["gcp-s3-federation-prod"])
    assert found == ["statement #0 trusts audience 'gcp-s3-federation-dev', which is not in allowedAudiences"]


def test_audience_in_aud_is_the_azp_gotcha() -> None:
    condition = {"StringEquals": {"accounts.google.com:aud": "gcp-s3-federation-dev", "accounts.google.com:sub": UID}}
    (found, mismatch) = problems("GSF002", ROLE, trust(condition))
    assert "AWS compares that key with the token's azp claim" in found
    assert "move 'gcp-s3-federation-dev' to accounts.google.com:oaud" in found
    assert "must be the same unique id" in mismatch


def test_aud_and_sub_must_agree() -> None:
    condition = {"StringEquals": {"accounts.google.com:aud": "1", "accounts.google.com:sub": "2"}}
    assert problems("GSF002", ROLE, trust(condition)) == [
        "statement #0: accounts.google.com:aud ['1'] and :sub ['2'] must be the same unique id"
    ]


def test_several_service_accounts_in_one_role() -> None:
    condition = {"StringEquals": {"accounts.google.com:sub": [UID, "998877"], "accounts.google.com:aud": UID}}
    assert problems("GSF003", ROLE, trust(condition)) == [f"the role trusts 2 Google service accounts ({UID}, 998877)"]


def test_deny_statements_and_other_principals_are_not_google_trusts() -> None:
    role = trust({}, principal={"Service": "lambda.amazonaws.com"})
    assert problems("GSF001", ROLE, role) == []


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::1:root", "*"]}])
def test_wildcard_trust_principal_for_any_action(principal: Any) -> None:
    role = trust({}, principal=principal)
    role_doc = json.loads(role["assumeRolePolicy"])
    role_doc["Statement"][0]["Action"] = ["sts:AssumeRole", "sts:TagSession"]
    found = problems("GSF004", ROLE, {"assumeRolePolicy": json.dumps(role_doc)})
    assert found == ["statement #0 allows principal '*' to sts:AssumeRole, sts:TagSession"]


def test_session_duration_threshold_and_config() -> None:
    assert problems("GSF005", ROLE, {"maxSessionDuration": 43200.0}) == []
    assert problems("GSF005", ROLE, {"maxSessionDuration": 50000.0}) == [
        "maxSessionDuration is 50000 s; the limit is 43200 s"
    ]
    assert problems("GSF005", ROLE, {"maxSessionDuration": 7200.0}, maxSessionDurationSeconds=3600) == [
        "maxSessionDuration is 7200 s; the limit is 3600 s"
    ]
    assert problems("GSF005", ROLE, {}) == []  # AWS default: 1 h


def test_unknown_trust_during_preview_raises_for_the_sdk_to_report() -> None:
    with pytest.raises(UnknownValueError):
        problems("GSF001", ROLE, {"assumeRolePolicy": UNKNOWN})


# --- identity policies ---------------------------------------------------------------------------


def policy(*statements: Mapping[str, Any], as_string: bool = True) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": list(statements) if len(statements) != 1 else statements[0]}
    return {"policy": json.dumps(document) if as_string else document, "role": "r"}


GOOD_POLICY = policy(
    {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::lake",
        "Condition": {"StringLike": {"s3:prefix": ["raw/*"]}},
    },
    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::lake/raw/*"]},
    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY},
)


@pytest.mark.parametrize("rule_id", ["GSF006", "GSF007", "GSF008", "GSF009"])
def test_good_identity_policy_passes(rule_id: str) -> None:
    assert problems(rule_id, ROLE_POLICY, GOOD_POLICY) == []
    assert problems(rule_id, "aws:iam/policy:Policy", GOOD_POLICY) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::lake/raw/*"}, "allows *"),
        ({"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::lake/raw/*"}, "allows s3:*"),
        (
            {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
            "s3:GetObject, s3:GetObjectVersion on Resource '*'",
        ),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::lake/*"}, "NotAction"),
    ],
)
def test_s3_wildcards(statement: Mapping[str, Any], expected: str) -> None:
    found = problems("GSF006", ROLE_POLICY, policy(statement, as_string=False))
    assert any(expected in p for p in found), found


def test_deny_with_wildcards_is_fine() -> None:
    assert problems("GSF006", ROLE_POLICY, policy({"Effect": "Deny", "Action": "*", "Resource": "*"})) == []


def test_broad_managed_policy_attachment() -> None:
    attachment = {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"}
    found = problems("GSF006", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", attachment)
    assert found == ["attaches arn:aws:iam::aws:policy/AmazonS3FullAccess, which reaches every bucket"]


def test_inline_policies_on_roles_are_read() -> None:
    document = {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}
    role = {"inlinePolicies": [{"name": "legacy", "policy": json.dumps(document)}]}
    assert problems("GSF006", ROLE, role) == [
        "inline policy 'legacy', statement #0 allows s3:*",
        "inline policy 'legacy', statement #0 allows s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucket, "
        "s3:GetObjectVersion on Resource '*'",
    ]


@pytest.mark.parametrize(
    ("resource", "ok"),
    [
        ("arn:aws:s3:::lake/raw/*", True),
        ("arn:aws:s3:::lake/raw/events/file.csv", True),
        ("arn:aws:s3:::lake/*", True),
        ("arn:aws:s3:::lake/raw*", False),
        ("arn:aws:s3:::lake/raw/ev?nts*", False),
        ("arn:aws:s3:::lake*/raw/*", False),
    ],
)
def test_object_arn_boundary(resource: str, ok: bool) -> None:
    found = problems("GSF007", ROLE_POLICY, policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}))
    assert (found == []) is ok, found


@pytest.mark.parametrize(
    ("condition", "ok"),
    [
        ({"StringLike": {"s3:prefix": "raw/*"}}, True),
        ({"StringEquals": {"s3:prefix": ["raw/", ""]}}, True),
        (None, False),
        ({"StringLikeIfExists": {"s3:prefix": "raw/*"}}, False),
        ({"ForAllValues:StringLike": {"s3:prefix": "raw/*"}}, False),
        ({"StringLike": {"s3:prefix": "*"}}, False),
        ({"StringLike": {"s3:delimiter": "/"}}, False),
    ],
)
def test_list_bucket_needs_prefix(condition: Mapping[str, Any] | None, ok: bool) -> None:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::lake"}
    if condition:
        statement["Condition"] = condition
    found = problems("GSF008", ROLE_POLICY, policy(statement))
    assert (found == []) is ok, found


@pytest.mark.parametrize(
    ("resource", "ok"),
    [
        (KEY, True),
        ("*", False),
        ("arn:aws:kms:eu-west-1:111122223333:key/*", False),
        ("arn:aws:kms:eu-west-1:111122223333:alias/lake", False),
    ],
)
def test_kms_grants_name_keys(resource: str, ok: bool) -> None:
    statement = {"Effect": "Allow", "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": resource}
    found = problems("GSF009", ROLE_POLICY, policy(statement))
    assert (found == []) is ok, found


def test_unreadable_document_is_reported() -> None:
    assert problems("GSF006", ROLE_POLICY, {"policy": "{not json"}) == [
        "policy document is unreadable: not valid JSON (Expecting property name enclosed in double quotes)"
    ]


# --- static credentials and workload identity ----------------------------------------------------


def test_key_resources() -> None:
    assert problems("GSF010", "aws:iam/accessKey:AccessKey", {"user": "ci"}) == [
        "AccessKey 'r' creates a long-lived key"
    ]
    assert problems("GSF011", "gcp:serviceaccount/key:Key", {"serviceAccountId": "sa"}) == [
        "Key 'r' creates a long-lived key"
    ]


def cloud_run(envs: list[dict[str, Any]], account: str | None = "etl@p.iam.gserviceaccount.com") -> dict[str, Any]:
    template: dict[str, Any] = {"containers": [{"image": "img", "envs": envs}]}
    if account:
        template["serviceAccount"] = account
    return {"location": "europe-west1", "template": template}


def test_cloud_run_env_with_aws_keys() -> None:
    envs: list[dict[str, Any]] = [
        {"name": "AWS_ROLE_ARN", "value": "arn:aws:iam::1:role/x"},
        {"name": "AWS_SECRET_ACCESS_KEY", "valueSource": {"secretKeyRef": {"secret": "aws", "version": "1"}}},
    ]
    found = problems("GSF012", "gcp:cloudrunv2/service:Service", cloud_run(envs))
    assert found == [
        "template.containers[0].envs[1].name = AWS_SECRET_ACCESS_KEY puts an AWS credential in the environment "
        "(a secret reference still is one)"
    ]
    assert problems("GSF012", "gcp:cloudrunv2/service:Service", cloud_run(envs[:1])) == []


@pytest.mark.parametrize(
    "key",
    [
        "core:fs.s3a.access.key",
        "spark:spark.hadoop.fs.s3a.secret.key",
        "core:fs.s3a.bucket.lake.session.token",
        "spark-env:AWS_SECRET_ACCESS_KEY",
        "spark:spark.executorEnv.AWS_ACCESS_KEY_ID",
    ],
)
def test_dataproc_properties_with_aws_keys(key: str) -> None:
    cluster = {"clusterConfig": {"softwareConfig": {"overrideProperties": {key: "x", "core:fs.s3a.endpoint": "y"}}}}
    found = problems("GSF012", "gcp:dataproc/cluster:Cluster", cluster)
    assert found == [f"clusterConfig.softwareConfig.overrideProperties.{key} sets an AWS credential"]


def test_instance_metadata_and_startup_script() -> None:
    instance = {"metadata": {"aws-secret": "x"}, "metadataStartupScript": "export AWS_SECRET_ACCESS_KEY=abc"}
    assert problems("GSF012", "gcp:compute/instance:Instance", instance) == [
        "metadataStartupScript mentions an AWS secret key (startup script or metadata)"
    ]


def test_access_key_id_shaped_values_anywhere() -> None:
    props = {"tags": {"note": "key AKIAIOSFODNN7EXAMPLE here"}, "other": ["ASIAIOSFODNN7EXAMPLEX"]}
    assert problems("GSF013", "aws:s3/bucket:Bucket", props) == [
        "tags.note holds a value shaped like an AWS access key id"
    ]


@pytest.mark.parametrize(
    ("typ", "props", "expected"),
    [
        ("gcp:cloudrunv2/service:Service", cloud_run([], account=None), "template.serviceAccount is not set"),
        (
            "gcp:cloudrunv2/service:Service",
            cloud_run([], "123-compute@developer.gserviceaccount.com"),
            "is the default service account",
        ),
        (
            "gcp:dataproc/cluster:Cluster",
            {"clusterConfig": {"gceClusterConfig": {}}},
            "clusterConfig.gceClusterConfig.serviceAccount is not set",
        ),
        (
            "gcp:cloudrunv2/job:Job",
            {"template": {"template": {"serviceAccount": "p@appspot.gserviceaccount.com"}}},
            "is the default service account",
        ),
    ],
)
def test_dedicated_service_account(typ: str, props: dict[str, Any], expected: str) -> None:
    found = problems("GSF014", typ, props)
    assert len(found) == 1 and expected in found[0], found


def test_dedicated_service_account_passes() -> None:
    assert problems("GSF014", "gcp:cloudrunv2/service:Service", cloud_run([])) == []


# --- buckets and keys ----------------------------------------------------------------------------

SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SSE_V2 = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"


def sse(algorithm: str, key: str | None) -> dict[str, Any]:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    if key is not None:
        default["kmsMasterKeyId"] = key
    return {"bucket": "lake", "rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True}]}


@pytest.mark.parametrize("typ", [SSE, SSE_V2])
@pytest.mark.parametrize(
    ("algorithm", "key", "expected"),
    [
        ("aws:kms", KEY, None),
        ("AES256", None, "default encryption is 'AES256', not SSE-KMS"),
        ("aws:kms", None, "aws/s3 key"),
        ("aws:kms", "arn:aws:kms:eu-west-1:111122223333:alias/aws/s3", "aws/s3 key"),
    ],
)
def test_bucket_sse(typ: str, algorithm: str, key: str | None, expected: str | None) -> None:
    found = problems("GSF015", typ, sse(algorithm, key))
    assert (found == []) if expected is None else (len(found) == 1 and expected in found[0]), found


def test_inline_bucket_encryption_v6_shape() -> None:
    inline = {
        "serverSideEncryptionConfiguration": {
            "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
        }
    }
    assert problems("GSF015", "aws:s3/bucketV2:BucketV2", inline) == ["default encryption is 'AES256', not SSE-KMS"]
    assert problems("GSF015", "aws:s3/bucket:Bucket", {"bucket": "lake"}) == []


def test_public_access_block_flags() -> None:
    flags = {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    pab = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
    assert problems("GSF016", pab, flags) == []
    assert problems("GSF016", pab, {**flags, "restrictPublicBuckets": False, "ignorePublicAcls": None}) == [
        "ignorePublicAcls, restrictPublicBuckets not true"
    ]


def bucket_policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"bucket": "lake", "policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


TLS = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::lake/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
KMS_ONLY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::lake/*",
    "Condition": {
        "Null": {"s3:x-amz-server-side-encryption": "false"},
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
    },
}


@pytest.mark.parametrize("rule_id", ["GSF017", "GSF018", "GSF019", "GSF050"])
def test_good_bucket_policy(rule_id: str) -> None:
    assert problems(rule_id, BUCKET_POLICY, bucket_policy(TLS, KMS_ONLY)) == []


def test_bucket_policy_without_tls_or_kms_guards() -> None:
    assert problems("GSF017", BUCKET_POLICY, bucket_policy(KMS_ONLY)) == [
        "no statement denies requests with aws:SecureTransport false"
    ]
    assert problems("GSF018", BUCKET_POLICY, bucket_policy(TLS)) == [
        "no statement denies s3:PutObject when s3:x-amz-server-side-encryption is not 'aws:kms'"
    ]


SSE_HEADER = "s3:x-amz-server-side-encryption"
KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/0b6c1f5e-7d2a-4c4e-9a51-2f3e8d9c1a7b"


@pytest.mark.parametrize(
    "condition",
    [
        {"Null": {SSE_HEADER: "true"}},
        {"StringNotEquals": {SSE_HEADER: "aws:kms"}},
        {"StringNotEqualsIfExists": {SSE_HEADER: "aws:kms"}},
        {"StringNotEquals": {KEY_ID: KEY_ARN}},
        {"ArnNotEqualsIfExists": {KEY_ID: KEY_ARN}},
        {"ForAllValues:StringEquals": {SSE_HEADER: "aws:kms"}},
    ],
)
def test_sse_deny_that_holds_without_the_header_breaks_multipart(condition: dict[str, Any]) -> None:
    deny = {**KMS_ONLY, "Sid": "RequireKms", "Condition": condition}
    (found,) = problems("GSF050", BUCKET_POLICY, bucket_policy(TLS, deny))
    assert found.startswith("statement 'RequireKms' denies s3:PutObject when no encryption header is sent")
    assert "every multipart upload is denied" in found


@pytest.mark.parametrize(
    "condition",
    [
        {"Null": {KEY_ID: "false"}, "StringNotEquals": {KEY_ID: KEY_ARN}},
        {"StringEquals": {SSE_HEADER: "aws:kms"}, "Null": {KEY_ID: "true"}},
        {"Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}},
        {"StringEquals": {SSE_HEADER: "AES256"}},
    ],
)
def test_sse_deny_guarded_by_the_header_is_multipart_safe(condition: dict[str, Any]) -> None:
    deny = {**KMS_ONLY, "Condition": condition}
    assert problems("GSF050", BUCKET_POLICY, bucket_policy(TLS, deny)) == []


def test_hadoop_sse_kms_literal_is_caught() -> None:
    wrong = {
        **KMS_ONLY,
        "Condition": {"Null": {SSE_HEADER: "false"}, "StringNotEquals": {SSE_HEADER: "SSE-KMS"}},
    }
    found = problems("GSF018", BUCKET_POLICY, bucket_policy(TLS, wrong))
    assert "compares s3:x-amz-server-side-encryption with 'SSE-KMS'; the header's value is 'aws:kms'" in found[0]
    assert found[1].startswith("no statement denies s3:PutObject")


def test_public_principal_in_bucket_policy() -> None:
    allow = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lake/*"}
    assert problems("GSF019", BUCKET_POLICY, bucket_policy(TLS, KMS_ONLY, allow)) == [
        "statement #2 allows principal '*'"
    ]


def test_kms_rotation() -> None:
    assert problems("GSF020", "aws:kms/key:Key", {"enableKeyRotation": True}) == []
    assert problems("GSF020", "aws:kms/key:Key", {}) == ["enableKeyRotation is not true"]
    assert problems("GSF020", "aws:kms/key:Key", {"customerMasterKeySpec": "RSA_2048"}) == []


def test_key_policy_open_principal() -> None:
    open_statement = {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    conditioned = {**open_statement, "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}
    key_policy = {"policy": json.dumps({"Statement": [open_statement]})}
    assert problems("GSF021", "aws:kms/keyPolicy:KeyPolicy", key_policy) == [
        "statement #0 allows principal '*' without a condition"
    ]
    assert problems("GSF021", "aws:kms/key:Key", {"policy": json.dumps({"Statement": [conditioned]})}) == []


# --- stack rules ---------------------------------------------------------------------------------


def stack(*resources: tuple[str, str, dict[str, Any]]) -> list[Resource]:
    return [Resource(typ, f"urn:{name}", name, props) for typ, name, props in resources]


def test_stack_bucket_protection_links_standalone_resources() -> None:
    check = RULE["GSF022"].stack_check
    assert check is not None
    pab = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "lake-pab", {"bucket": "lake"})
    protected = stack(("aws:s3/bucket:Bucket", "lake", {"bucket": "lake"}), (SSE, "lake-sse", sse("aws:kms", KEY)), pab)
    assert list(check(protected, {})) == []
    bare = stack(("aws:s3/bucketV2:BucketV2", "other", {"bucket": "other"}))
    assert list(check(bare, {})) == [
        ("urn:other", "bucket 'other' has no SSE-KMS configuration (inline or standalone)"),
        ("urn:other", "bucket 'other' has no public access block"),
    ]


def test_stack_one_role_per_service_account() -> None:
    check = RULE["GSF023"].stack_check
    assert check is not None
    roles = stack((ROLE, "a", trust(GOOD_TRUST)), (ROLE, "b", trust(GOOD_TRUST)))
    assert [urn for urn, _ in check(roles, {})] == ["urn:a", "urn:b"]
    assert list(check(roles[:1], {})) == []


def test_rule_ids_and_names_are_unique_and_stable() -> None:
    ids = [r.id for r in RULES]
    assert all(re.fullmatch(r"GSF\d{3}", i) for i in ids), ids
    assert len(set(ids)) == len(ids), "an id is never reused"
    assert len({r.name for r in RULES}) == len(RULES)
    for rule in RULES:
        assert (rule.check is None) != (rule.stack_check is None), rule.id
        assert rule.description.endswith(".") and rule.why and rule.fix


def _trail(selectors: list[dict[str, Any]], log_bucket: str = "logs") -> tuple[str, str, dict[str, Any]]:
    return ("aws:cloudtrail/trail:Trail", "trail", {"s3BucketName": log_bucket, "advancedEventSelectors": selectors})


def _data_selector(**arns: list[str]) -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"field": "eventCategory", "equals": ["Data"]},
        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
    ]
    if arns:
        fields.append({"field": "resources.ARN", **arns})
    return {"name": "data", "fieldSelectors": fields}


@pytest.mark.parametrize(
    ("extra", "logged"),
    [
        ([], False),
        ([_trail([_data_selector(startsWiths=["arn:aws:s3:::lake/"])])], True),
        ([_trail([_data_selector()])], True),  # every bucket
        ([_trail([_data_selector(startsWiths=["arn:aws:s3:::other/"])])], False),
        ([_trail([{"name": "mgmt", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}])], False),
        ([("aws:s3/bucketLogging:BucketLogging", "log", {"bucket": "lake", "targetBucket": "logs"})], True),
    ],
)
def test_stack_bucket_access_logging(extra: list[tuple[str, str, dict[str, Any]]], logged: bool) -> None:
    check = RULE["GSF024"].stack_check
    assert check is not None
    resources = stack(
        ("aws:s3/bucket:Bucket", "lake", {"bucket": "lake"}),
        ("aws:s3/bucket:Bucket", "logs", {"bucket": "logs"}),
        *extra,
    )
    found = list(check(resources, {}))
    expected = (
        []
        if logged
        else [("urn:lake", "bucket 'lake' records no object-level access (no server access logging, no trail)")]
    )
    if not extra:
        expected.append(
            ("urn:logs", "bucket 'logs' records no object-level access (no server access logging, no trail)")
        )
    assert found == expected
