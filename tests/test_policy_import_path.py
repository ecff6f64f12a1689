"""The pack's rules for hand-written stacks that import the components (GSF026-GSF032, GSF020 mandatory):
each hole flagged, each hardened counterpart passed, in unit tests and over the Analyzer protocol."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from gcp_s3_guard.model import Resource
from gcp_s3_guard.rules import RULES

from tools.gate import run_gate

RULE = {r.id: r for r in RULES}
UID = "112233445566778899001"
KEY = "arn:aws:kms:eu-west-1:111122223333:key/0b6c1f5e-7d2a-4c4e-9a51-2f3e8d9c1a7b"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ACCOUNT_ROOT = "arn:aws:iam::111122223333:root"
TLS = {"Bool": {"aws:SecureTransport": "true"}}
GOOGLE_TRUST = {
    "Effect": "Allow",
    "Principal": {"Federated": "accounts.google.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
        "StringEquals": {
            "accounts.google.com:aud": UID,
            "accounts.google.com:sub": UID,
            "accounts.google.com:oaud": "gcp-s3-federation-dev",
        }
    },
}
PREFIX_GRANT = {
    "Effect": "Allow",
    "Action": ["s3:GetObject", "s3:PutObject"],
    "Resource": ["arn:aws:s3:::lake/raw/events/*"],
    "Condition": TLS,
}


def entry(typ: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": typ, "name": name, "urn": f"urn:pulumi:s::p::{typ}::{name}", "inputs": dict(inputs)}


def role(name: str = "etl", *trust: Mapping[str, Any], **inputs: Any) -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": list(trust or [GOOGLE_TRUST])}
    return entry(ROLE, name, {"name": name, "assumeRolePolicy": json.dumps(document), **inputs})


def role_policy(*statements: Mapping[str, Any], role_name: str = "etl") -> dict[str, Any]:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return entry(ROLE_POLICY, f"{role_name}-policy", {"role": role_name, "policy": json.dumps(document)})


def bucket_policy(bucket: str = "lake", tls: bool = True) -> dict[str, Any]:
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statements = [deny] if tls else []
    return entry(
        "aws:s3/bucketPolicy:BucketPolicy", bucket, {"bucket": bucket, "policy": json.dumps({"Statement": statements})}
    )


def _resources(entries: Sequence[Mapping[str, Any]]) -> list[Resource]:
    return [Resource(e["type"], e["urn"], e["name"], e["inputs"]) for e in entries]


def stack_problems(rule_id: str, entries: Sequence[Mapping[str, Any]], **config: Any) -> list[str]:
    rule = RULE[rule_id]
    assert rule.stack_check is not None
    return [message for _, message in rule.stack_check(_resources(entries), rule.settings(config))]


def problems(rule_id: str, item: Mapping[str, Any], **config: Any) -> list[str]:
    rule = RULE[rule_id]
    assert rule.check is not None and rule.applies_to(item["type"])
    (resource,) = _resources([item])
    return list(rule.check(resource, rule.settings(config)))


HARDENED = [role(), role_policy(PREFIX_GRANT), bucket_policy()]


# --- GSF026: whole-bucket and wildcard-bucket grants -------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "reach"),
    [
        ("arn:aws:s3:::lake/*", "the whole bucket"),
        ("arn:aws:s3:::lake/**", "the whole bucket"),
        ("arn:aws:s3:::*/*", "any bucket"),
        ("arn:aws:s3:::lake-*/raw/*", "any bucket"),
        ("arn:aws:s3:::*", "any bucket"),
        ("*", "every bucket"),
    ],
)
def test_whole_or_wildcard_bucket_grants_on_federated_roles(resource: str, reach: str) -> None:
    grant = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}
    found = stack_problems("GSF026", [role(), role_policy(grant)])
    assert len(found) == 1 and reach in found[0] and "'etl'" in found[0]


@pytest.mark.parametrize(
    "resource", ["arn:aws:s3:::lake/raw/events/*", "arn:aws:s3:::lake", "arn:aws:s3:::lake/raw/events/"]
)
def test_prefix_grants_pass(resource: str) -> None:
    grant = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": resource}
    assert stack_problems("GSF026", [role(), role_policy(grant)]) == []


def test_whole_bucket_grant_inline_on_the_role_and_only_on_federated_roles() -> None:
    grant = {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::lake/*"}
    inline = [{"name": "data", "policy": json.dumps({"Statement": [grant]})}]
    assert stack_problems("GSF026", [role(inlinePolicies=inline)])
    ci_trust = {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert stack_problems("GSF026", [role("ci", ci_trust, inlinePolicies=inline)]) == []


# --- GSF027: managed policies and attachments --------------------------------------------------------


ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
CUSTOM = "arn:aws:iam::111122223333:policy/reviewed-read-only"


@pytest.mark.parametrize(
    "attachment",
    [
        {"managedPolicyArns": [ADMIN]},
        entry("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {"role": "etl", "policyArn": ADMIN}),
        entry("aws:iam/policyAttachment:PolicyAttachment", "a", {"roles": ["etl"], "policyArn": ADMIN}),
        entry(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "s3",
            {"role": "etl", "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
        ),
    ],
)
def test_admin_and_full_access_policies_are_refused_even_when_allowed(attachment: dict[str, Any]) -> None:
    entries = [role(**attachment)] if "managedPolicyArns" in attachment else [role(), attachment]
    arn = attachment.get("managedPolicyArns", [None])[0] or attachment["inputs"]["policyArn"]
    found = stack_problems("GSF027", entries, allowedPolicyArns=[arn])
    assert found and "admin/full-access" in found[0]


def test_other_managed_policies_need_the_allowlist() -> None:
    entries = [role(managedPolicyArns=[CUSTOM])]
    assert "not in allowedPolicyArns" in stack_problems("GSF027", entries)[0]
    assert stack_problems("GSF027", entries, allowedPolicyArns=[CUSTOM]) == []
    assert stack_problems("GSF027", HARDENED) == []


# --- GSF028: privilege escalation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "resource", "named"),
    [
        ("iam:PassRole", "arn:aws:iam::111122223333:role/x", "iam:PassRole"),
        ("iam:CreatePolicyVersion", "*", "iam:CreatePolicyVersion"),
        ("iam:AttachRolePolicy", "*", "iam:AttachRolePolicy"),
        ("iam:PutRolePolicy", "*", "iam:PutRolePolicy"),
        ("iam:*", "*", "iam:PassRole"),
        ("iam:Put*", "*", "iam:PutRolePolicy"),
        ("sts:AssumeRole", "*", "sts:AssumeRole on a wildcard resource"),
    ],
)
def test_privilege_escalation_actions(action: str, resource: str, named: str) -> None:
    grant = {"Effect": "Allow", "Action": action, "Resource": resource}
    found = stack_problems("GSF028", [role(), role_policy(grant)])
    assert found and named in found[0]


def test_no_escalation_in_hardened_or_scoped_assume_role() -> None:
    assume = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::111122223333:role/reader"}
    assert stack_problems("GSF028", [*HARDENED, role_policy(assume)]) == []
    denied = {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
    assert stack_problems("GSF028", [role(), role_policy(denied)]) == []


# --- GSF029: any web-identity trust needs aud and sub -------------------------------------------------


def _web_identity(principal: str, condition: Mapping[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": principal},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    return statement


GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"


@pytest.mark.parametrize(
    ("principal", "condition", "missing"),
    [
        (GITHUB, None, ["aud", "sub"]),
        ("cognito-identity.amazonaws.com", {"StringEquals": {"cognito-identity.amazonaws.com:aud": "pool"}}, ["sub"]),
        (
            GITHUB,
            {"ForAllValues:StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
            ["aud", "sub"],
        ),
        ("accounts.google.com", {"StringEqualsIfExists": {"accounts.google.com:sub": UID}}, ["aud", "sub"]),
    ],
)
def test_web_identity_trust_without_aud_and_sub(principal: str, condition: Any, missing: list[str]) -> None:
    found = problems("GSF029", role("r", _web_identity(principal, condition)))
    assert [p.rsplit(":", 1)[-1] for p in found] == missing


def test_web_identity_trust_with_aud_and_sub_passes() -> None:
    github = _web_identity(
        GITHUB,
        {
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"},
        },
    )
    assert problems("GSF029", role("r", github)) == []
    assert problems("GSF029", role()) == []


# --- GSF030: extra trust statements ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"},
            "root",
        ),
        ({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}, "'*'"),
        ({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}, "ec2"),
    ],
)
def test_extra_trust_statements(extra: dict[str, Any], named: str) -> None:
    found = problems("GSF030", role("etl", GOOGLE_TRUST, extra))
    assert len(found) == 1 and named in found[0]


def test_extra_principal_in_the_web_identity_statement() -> None:
    mixed = dict(GOOGLE_TRUST, Principal={"Federated": "accounts.google.com", "AWS": "arn:aws:iam::111122223333:root"})
    assert "also trusts AWS arn:aws:iam::111122223333:root" in problems("GSF030", role("etl", mixed))[0]


def test_single_trust_statement_and_deny_pass() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}
    assert problems("GSF030", role("etl", GOOGLE_TRUST, deny)) == []
    ci = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}
    assert problems("GSF030", role("ci", ci)) == []  # not a federated role


# --- GSF031: inline Bucket.policy ------------------------------------------------------------------------


@pytest.mark.parametrize("typ", ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"])
def test_inline_bucket_policy(typ: str) -> None:
    assert problems("GSF031", entry(typ, "lake", {"bucket": "lake", "policy": '{"Statement": []}'}))
    assert problems("GSF031", entry(typ, "lake", {"bucket": "lake"})) == []


# --- GSF020: key rotation, mandatory unless lowered with a reason ---------------------------------------


def test_key_rotation_is_mandatory_and_a_reason_travels_with_the_exemption() -> None:
    assert RULE["GSF020"].level == "mandatory"
    key = entry("aws:kms/key:Key", "k", {"enableKeyRotation": False})
    assert problems("GSF020", key) == ["enableKeyRotation is not true"]
    exempt = problems("GSF020", key, advisoryReason="imported key material, rotated by hand")
    assert exempt == ["enableKeyRotation is not true (accepted as advisory: imported key material, rotated by hand)"]


# --- GSF032: TLS for buckets federated roles reach --------------------------------------------------------


def test_bucket_reached_without_tls_anywhere() -> None:
    plain = {k: v for k, v in PREFIX_GRANT.items() if k != "Condition"}
    found = stack_problems("GSF032", [role(), role_policy(plain)])
    assert len(found) == 1 and "'lake'" in found[0]
    assert stack_problems("GSF032", [role(), role_policy(plain), bucket_policy(tls=False)])


@pytest.mark.parametrize(
    "entries",
    [
        [role(), role_policy({k: v for k, v in PREFIX_GRANT.items() if k != "Condition"}), bucket_policy()],
        [role(), role_policy(PREFIX_GRANT)],
        HARDENED,
    ],
    ids=["bucket-policy-denies", "role-requires-tls", "both"],
)
def test_either_guard_is_enough(entries: list[dict[str, Any]]) -> None:
    assert stack_problems("GSF032", entries) == []


# --- the Analyzer protocol: the real pack process --------------------------------------------------------


HOLES = [
    role("wide", GOOGLE_TRUST, managedPolicyArns=[ADMIN]),
    role_policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lake/*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
        role_name="wide",
    ),
    role("any-oidc", _web_identity(GITHUB, None)),
    role(
        "rooted",
        GOOGLE_TRUST,
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"},
    ),
    entry("aws:s3/bucket:Bucket", "legacy", {"bucket": "legacy", "policy": '{"Statement": []}'}),
    entry("aws:kms/key:Key", "stale", {"enableKeyRotation": False}),
]
HOLE_RULES = {"GSF020", "GSF026", "GSF027", "GSF028", "GSF029", "GSF030", "GSF031", "GSF032"}


def test_every_hole_is_a_mandatory_violation_over_the_analyzer_protocol() -> None:
    result = run_gate(HOLES, stack="holes")
    flagged = {v.policy.split("-")[0].upper() for v in result.mandatory}
    assert flagged >= HOLE_RULES, HOLE_RULES - flagged
    wide = [v for v in result.mandatory if v.policy.startswith("gsf026")]
    assert wide[0].resource.endswith("::wide-policy") and "the whole bucket" in wide[0].message


def test_hardened_counterparts_pass_over_the_analyzer_protocol() -> None:
    hardened = [
        *HARDENED,
        entry("aws:kms/key:Key", "fresh", {"enableKeyRotation": True}),
        entry("aws:s3/bucket:Bucket", "lake", {"bucket": "lake"}),
    ]
    result = run_gate(hardened, stack="hardened")
    assert not {v.policy.split("-")[0].upper() for v in result.mandatory} & HOLE_RULES, result.mandatory


def test_rotation_lowered_to_advisory_with_its_reason() -> None:
    key = [entry("aws:kms/key:Key", "stale", {"enableKeyRotation": False})]
    config = {"gsf020-kms-key-rotation": {"enforcementLevel": "advisory", "advisoryReason": "external key store"}}
    result = run_gate(key, config=config, stack="exempt")
    rotation = [v for v in result.violations if v.policy.startswith("gsf020")]
    assert rotation and rotation[0].level == "advisory" and "external key store" in rotation[0].message
