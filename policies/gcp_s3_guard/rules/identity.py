"""Identity policies and AWS static credentials (GSF006-GSF010, GSF013), and what the stack gives its
federated roles (GSF026-GSF028): what a role may do."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..documents import Statement
from ..model import Resource, Rule
from .common import (
    ACCESS_KEY_ID,
    ATTACHMENT_TYPES,
    BROAD_MANAGED_POLICIES,
    IDENTITY_POLICY_TYPES,
    KMS_DATA_ACTIONS,
    ROLE,
    S3_DATA_ACTIONS,
    S3_OBJECT_ACTIONS,
    allow_statements,
    check_no_resource,
    federated_roles,
    grants_s3,
    identity_documents,
    s3_arn_parts,
    walk,
)


def check_no_s3_wildcards(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for _, _, problems in identity_documents(resource):
        yield from problems
    for label, statement in allow_statements(resource):
        broad = [a for a in statement.actions if a in ("*", "s3:*")]
        if broad or statement.not_actions:
            yield f"{label} allows {', '.join(broad) or 'NotAction (everything else)'}"
        data = [a for a in S3_DATA_ACTIONS if statement.grants(a)]
        if data and "*" in statement.resources:
            yield f"{label} allows {', '.join(data)} on Resource '*'"
    if resource.type in ATTACHMENT_TYPES:
        arn = str(resource.props.get("policyArn") or "")
        if any(arn.endswith(f":policy/{name}") for name in BROAD_MANAGED_POLICIES):
            yield f"attaches {arn}, which reaches every bucket"


def _object_arns(statement: Statement) -> Iterator[tuple[str, str]]:
    """(arn, bucket/key part) for S3 ARNs in the statement's resources."""
    for arn in statement.resources:
        match = re.fullmatch(r"arn:aws[a-z-]*:s3:::(.+)", arn)
        if match:
            yield arn, match.group(1)


def check_object_arn_boundary(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for label, statement in allow_statements(resource):
        if not any(statement.grants(a) for a in S3_OBJECT_ACTIONS):
            continue
        for arn, path in _object_arns(statement):
            bucket, slash, key = path.partition("/")
            if any(c in bucket for c in "*?"):
                yield f"{label} names buckets by pattern ({arn})"
            elif slash and any(c in key for c in "*?"):
                literal = re.split(r"[*?]", key, maxsplit=1)[0]
                if literal and not literal.endswith("/"):
                    yield (
                        f"{label} grants {arn}: the wildcard does not start at a '/' boundary, so it also "
                        f"matches sibling prefixes such as {literal}2/"
                    )


def check_list_bucket_prefix(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for label, statement in allow_statements(resource):
        if not statement.grants("s3:ListBucket"):
            continue
        bucket_level = [arn for arn, path in _object_arns(statement) if "/" not in path] + [
            r for r in statement.resources if r == "*"
        ]
        if not bucket_level:
            continue
        conditions = statement.conditions_on("s3:prefix")
        usable = [
            c
            for c in conditions
            if c.base in ("StringLike", "StringEquals")
            and not c.qualifier
            and not c.if_exists
            and c.values
            and "*" not in c.values
        ]
        if not usable:
            yield f"{label} allows s3:ListBucket on {', '.join(bucket_level)} without an s3:prefix condition"


def check_kms_specific_keys(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for label, statement in allow_statements(resource):
        actions = [a for a in KMS_DATA_ACTIONS if statement.grants(a)]
        if not actions:
            continue
        for arn in statement.resources:
            key_part = arn.rsplit(":", 1)[-1] if arn.startswith("arn:") else arn
            if arn == "*" or any(c in key_part for c in "*?") or key_part.startswith("alias/"):
                yield f"{label} allows {', '.join(actions)} on {arn!r}; name the key ARN"


def check_no_access_key_ids(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for path, _, value in walk(resource.props):
        if isinstance(value, str) and ACCESS_KEY_ID.search(value):
            yield f"{path} holds a value shaped like an AWS access key id"


def check_stack_federated_grants_name_prefixes(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    for federated in federated_roles(resources):
        for carrier, label, statement in federated.documents:
            if not grants_s3(statement):
                continue
            for arn in statement.resources:
                reach = _wildcard_reach(arn)
                if reach:
                    yield carrier.urn, f"role {federated.name!r}, {label}: {arn!r} grants {reach}"


def _wildcard_reach(arn: str) -> str | None:
    """What a wildcard S3 resource reaches beyond one prefix, or None when it stays inside one."""
    if arn == "*":
        return "every bucket"
    parts = s3_arn_parts(arn)
    if parts is None:
        return None
    bucket, key = parts
    if any(c in bucket for c in "*?"):
        return "objects in any bucket whose name matches"
    if key[:1] in ("*", "?"):
        return "the whole bucket"
    return None


# AWS managed policies that grant administration or a service's full access (IAM User Guide, "AWS
# managed policies for job functions"); never on a role that an outside identity assumes.
REFUSED_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


def _refused(arn: str) -> bool:
    name = arn.rsplit("/", 1)[-1]
    return ":iam::aws:policy/" in arn and (name in REFUSED_MANAGED_POLICIES or name.endswith("FullAccess"))


def check_stack_federated_managed_policies(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    allowed = {str(a) for a in config.get("allowedPolicyArns") or []}
    for federated in federated_roles(resources):
        for carrier, arn in federated.managed:
            if _refused(arn):
                yield carrier.urn, f"role {federated.name!r} gets the AWS managed admin/full-access policy {arn}"
            elif arn not in allowed:
                yield (
                    carrier.urn,
                    f"role {federated.name!r} gets managed policy {arn}, which is not in allowedPolicyArns",
                )


# IAM actions that let a holder grant itself more (Rhino Security Labs, "AWS IAM privilege escalation
# methods"; IAM User Guide, "Granting a user permissions to pass a role").
ESCALATION_ACTIONS = (
    "iam:PassRole",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:CreateAccessKey",
)


def check_stack_federated_no_escalation(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    for federated in federated_roles(resources):
        for carrier, label, statement in federated.documents:
            escalating = [a for a in ESCALATION_ACTIONS if statement.grants(a)]
            if statement.grants("sts:AssumeRole") and any("*" in r for r in statement.resources):
                escalating.append("sts:AssumeRole on a wildcard resource")
            if escalating:
                yield carrier.urn, f"role {federated.name!r}, {label} allows {', '.join(escalating)}"


RULES: tuple[Rule, ...] = (
    Rule(
        "GSF006",
        "no-s3-wildcard-grants",
        "Identity policies grant no '*'/'s3:*', no S3 data actions on Resource '*', no S3-wide managed policies.",
        "Wildcards reach every bucket and every future action (IAM User Guide, least privilege).",
        "List the actions and name bucket/prefix ARNs.",
        "mandatory",
        IDENTITY_POLICY_TYPES | ATTACHMENT_TYPES | {ROLE},
        check_no_s3_wildcards,
    ),
    Rule(
        "GSF007",
        "object-arn-slash-boundary",
        "Object ARNs end their literal part at a '/' (bucket/prefix/*, not bucket/prefix*).",
        "'raw*' also matches 'raw2/' and 'raw-backup/' (S3 User Guide, policy resources).",
        "End every prefix with '/' before the wildcard.",
        "mandatory",
        IDENTITY_POLICY_TYPES | {ROLE},
        check_object_arn_boundary,
    ),
    Rule(
        "GSF008",
        "list-bucket-needs-prefix",
        "s3:ListBucket is granted only with an s3:prefix condition.",
        "Without it the role lists every key in the bucket (S3 User Guide, s3:prefix condition examples).",
        'Add StringLike {"s3:prefix": ["<prefix>/*"]}.',
        "mandatory",
        IDENTITY_POLICY_TYPES | {ROLE},
        check_list_bucket_prefix,
    ),
    Rule(
        "GSF009",
        "kms-grants-name-keys",
        "KMS data actions in identity policies name specific key ARNs.",
        "Resource '*' on kms:Decrypt opens every key whose key policy delegates to IAM (KMS Developer Guide).",
        "Use the bucket key's full ARN, and kms:ViaService = s3.<region>.amazonaws.com.",
        "mandatory",
        IDENTITY_POLICY_TYPES | {ROLE},
        check_kms_specific_keys,
    ),
    Rule(
        "GSF010",
        "no-aws-access-keys",
        "No aws.iam.AccessKey resources.",
        "Access keys are long-lived static secrets, the exact thing federation removes (IAM best practices).",
        "Federate the workload (AssumeRoleWithWebIdentity) instead.",
        "mandatory",
        frozenset({"aws:iam/accessKey:AccessKey"}),
        check_no_resource,
    ),
    Rule(
        "GSF013",
        "no-access-key-ids",
        "No value anywhere looks like an AWS access key id (AKIA.../ASIA...).",
        "A key id next to its secret is a leaked credential (GitHub secret scanning patterns).",
        "Remove the key and rotate it; federate instead.",
        "mandatory",
        frozenset(),
        check_no_access_key_ids,
    ),
    Rule(
        "GSF026",
        "stack-federated-grants-name-prefixes",
        "Federated roles get S3 access to named prefixes only: no bucket/*, bucket/**, */* or wildcard bucket names.",
        "A federated role is reachable from outside the account; 'bucket/*' is the whole bucket, '*/*' every bucket "
        "(S3 User Guide, policy resources), which is wider than any workload needs.",
        "Grant arn:aws:s3:::<bucket>/<prefix>/* for each prefix (the PrefixAccessPolicy component does).",
        "mandatory",
        stack_check=check_stack_federated_grants_name_prefixes,
    ),
    Rule(
        "GSF027",
        "stack-federated-managed-policies",
        "Federated roles carry no AWS managed admin/full-access policy and no managed policy outside the allowlist.",
        "Managed policies are attached by ARN, so no rule here can see what they grant; AdministratorAccess or "
        "a *FullAccess policy on a role Google tokens assume hands the account to a workload (IAM User Guide).",
        "Detach it and grant prefixes inline; allow a reviewed customer-managed policy with allowedPolicyArns.",
        "mandatory",
        stack_check=check_stack_federated_managed_policies,
        config={"allowedPolicyArns": []},
        config_schema={"allowedPolicyArns": {"type": "array", "items": {"type": "string"}}},
    ),
    Rule(
        "GSF028",
        "stack-federated-no-privilege-escalation",
        "Federated roles are not allowed iam:PassRole, policy-writing IAM actions, iam:* or sts:AssumeRole on '*'.",
        "Each of these lets the workload grant itself more than its prefixes (Rhino Security Labs, AWS IAM "
        "privilege escalation methods).",
        "Remove the IAM/STS actions; give deployment rights to a separate, non-federated role.",
        "mandatory",
        stack_check=check_stack_federated_no_escalation,
    ),
)
