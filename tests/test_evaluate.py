"""IAM evaluation semantics of gcp_aws_credentials.evaluate, against the IAM User Guide's own examples.

Sources: IAM User Guide, "IAM JSON policy elements: Condition operators" (negated operators and
`...IfExists` with a missing key, `Null`), "Multivalued context keys" (`ForAllValues` is true and
`ForAnyValue` false when the key is missing), "Policy evaluation logic" (explicit deny wins), and the S3
User Guide bucket-policy examples (`s3:prefix` is missing from a list request that sends no prefix).
"""

from __future__ import annotations

from typing import Any

import pytest

from gcp_aws_credentials.evaluate import Request, evaluate, evaluate_condition

ROLE = "arn:aws:iam::111122223333:role/gcp-federation/dev/etl"


@pytest.mark.parametrize(
    ("operator", "key", "expected", "context", "matched"),
    [
        # "...IfExists": the docs' example, StringLikeIfExists on ec2:InstanceType
        ("StringLikeIfExists", "ec2:InstanceType", ["t1.*", "t2.*", "m3.*"], {}, True),
        ("StringLikeIfExists", "ec2:InstanceType", ["t1.*", "t2.*", "m3.*"], {"ec2:instancetype": ["m4.large"]}, False),
        ("StringLikeIfExists", "ec2:InstanceType", ["t1.*", "t2.*", "m3.*"], {"ec2:instancetype": ["t2.micro"]}, True),
        # negated operators are true when the key is missing; IfExists on them changes nothing then
        ("StringNotEquals", "s3:x-amz-server-side-encryption", ["aws:kms"], {}, True),
        ("StringNotEqualsIfExists", "s3:x-amz-server-side-encryption", ["aws:kms"], {}, True),
        ("ArnNotLike", "aws:PrincipalArn", ["arn:aws:iam::1:role/x/*"], {}, True),
        ("StringNotLike", "s3:prefix", ["home/*"], {}, True),  # S3 guide: a list without prefix
        ("StringLike", "s3:prefix", ["home/*"], {}, False),
        # Null: the docs' example, aws:TokenIssueTime is missing for long-term credentials
        ("Null", "aws:TokenIssueTime", ["true"], {}, True),
        ("Null", "aws:TokenIssueTime", ["true"], {"aws:tokenissuetime": ["2026-12-01T00:00:00Z"]}, False),
        ("Null", "s3:x-amz-server-side-encryption", ["false"], {}, False),
        ("Null", "s3:x-amz-server-side-encryption", ["false"], {"s3:x-amz-server-side-encryption": ["AES256"]}, True),
        # multivalued keys: the docs' aws:TagKeys examples
        ("ForAllValues:StringLike", "aws:TagKeys", ["key1*"], {}, True),
        ("ForAllValues:StringLike", "aws:TagKeys", ["key1*"], {"aws:tagkeys": ["key1a", "other"]}, False),
        ("ForAllValues:StringLike", "aws:TagKeys", ["key1*"], {"aws:tagkeys": ["key1a", "key1b"]}, True),
        ("ForAnyValue:StringEquals", "aws:TagKeys", ["environment"], {}, False),
        ("ForAnyValue:StringEquals", "aws:TagKeys", ["environment"], {"aws:tagkeys": ["environment", "cost"]}, True),
        ("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], {"aws:tagkeys": ["a", "b"]}, True),
        ("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], {"aws:tagkeys": ["a", "secret"]}, False),
        ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["secret"], {"aws:tagkeys": ["secret"]}, False),
        # Bool: false unless present and equal; BoolIfExists true when missing
        ("Bool", "aws:SecureTransport", ["false"], {}, False),
        ("Bool", "aws:SecureTransport", ["false"], {"aws:securetransport": ["false"]}, True),
        ("BoolIfExists", "aws:PrincipalIsAWSService", ["false"], {}, True),
        ("BoolIfExists", "aws:PrincipalIsAWSService", ["false"], {"aws:principalisawsservice": ["true"]}, False),
        # key names are case-insensitive, values are not (except ...IgnoreCase)
        ("StringEquals", "S3:Prefix", ["Raw/"], {"s3:prefix": ["raw/"]}, False),
        ("StringEqualsIgnoreCase", "S3:Prefix", ["Raw/"], {"s3:prefix": ["raw/"]}, True),
        ("ArnLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/gcp-federation/*"], {"aws:principalarn": [ROLE]}, True),
        ("ArnLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/other/*"], {"aws:principalarn": [ROLE]}, False),
        ("NumericLessThanEquals", "s3:max-keys", ["10"], {"s3:max-keys": ["2"]}, True),
    ],
)
def test_documented_condition_semantics(
    operator: str, key: str, expected: list[str], context: dict[str, list[str]], matched: bool
) -> None:
    assert evaluate_condition(operator, key, expected, context).matched is matched


@pytest.mark.parametrize("operator", ["IpAddress", "StringMatches", "NullIfExists", "ForEach:StringEquals"])
def test_operators_outside_the_model_are_refused_not_guessed(operator: str) -> None:
    with pytest.raises(ValueError, match="outside the modelled subset"):
        evaluate_condition(operator, "k", ["v"], {})


def test_policy_variables_are_refused_not_guessed() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}
    with pytest.raises(ValueError, match="policy variables"):
        evaluate([("p", {"Statement": [statement]})], Request("s3:GetObject", "arn:aws:s3:::b/x", {}))
    with pytest.raises(ValueError, match="policy variables"):
        evaluate_condition("StringEquals", "s3:prefix", ["${aws:username}/"], {})


def _policy(*statements: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("bucket policy", {"Statement": list(statements)})]


def test_keys_in_a_block_are_and_values_of_a_key_are_or() -> None:
    deny_wrong_sse = {
        "Sid": "DenyWrongSse",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::b/*",
        "Condition": {
            "Null": {"s3:x-amz-server-side-encryption": "false"},
            "StringNotEquals": {"s3:x-amz-server-side-encryption": ["aws:kms", "aws:kms:dsse"]},
        },
    }
    allow = {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}
    policies = _policy(deny_wrong_sse, allow)

    def put(**context: list[str]) -> bool:
        return evaluate(policies, Request("s3:PutObject", "arn:aws:s3:::b/k", context, principal_arn=ROLE)).allowed

    assert put() is True  # no header: Null false fails, so the deny does not apply
    assert put(**{"s3:x-amz-server-side-encryption": ["aws:kms"]}) is True
    assert put(**{"s3:x-amz-server-side-encryption": ["aws:kms:dsse"]}) is True
    assert put(**{"s3:x-amz-server-side-encryption": ["AES256"]}) is False


def test_explicit_deny_beats_allow_and_nothing_is_implicit_deny() -> None:
    allow = {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    deny = {"Sid": "D", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*"}
    decision = evaluate(_policy(allow, deny), Request("s3:DeleteObject", "arn:aws:s3:::b/k", {}))
    assert (decision.allowed, decision.deciding.sid if decision.deciding else None) == (False, "D")
    assert evaluate(_policy(allow, deny), Request("s3:GetObject", "arn:aws:s3:::b/k", {})).allowed is True
    nothing = evaluate(_policy(deny), Request("s3:GetObject", "arn:aws:s3:::b/k", {}))
    assert (nothing.allowed, nothing.deciding) == (False, None)


def test_not_principal_denies_everyone_else() -> None:
    deny_others = {
        "Effect": "Deny",
        "NotPrincipal": {"AWS": ROLE},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    other = "arn:aws:iam::111122223333:role/other"
    assert evaluate(
        _policy(deny_others, allow), Request("s3:GetObject", "arn:aws:s3:::b/k", {}, principal_arn=ROLE)
    ).allowed
    assert not evaluate(
        _policy(deny_others, allow), Request("s3:GetObject", "arn:aws:s3:::b/k", {}, principal_arn=other)
    ).allowed


def test_service_principal_never_matches_a_role() -> None:
    allow_service = {
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    assert not evaluate(
        _policy(allow_service), Request("s3:PutObject", "arn:aws:s3:::b/k", {}, principal_arn=ROLE)
    ).allowed
