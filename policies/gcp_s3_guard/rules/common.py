"""Shared by the rule modules: resource type tokens, action lists, and the document helpers.

Checks read engine-shaped properties (camelCase keys; documents as JSON strings or objects). They
never catch `UnknownValueError`: during preview an unknown value aborts the check, and the policy SDK
reports "can't run policy ... during preview" as an advisory diagnostic; at `pulumi up` the values are
known and the check runs before the resource is created.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..documents import (
    WEB_IDENTITY,
    Statement,
    UnreadableDocumentError,
    as_list,
    is_google_federation,
    is_sequence,
    parse,
    statements,
)
from ..model import Resource

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
IDENTITY_POLICY_TYPES = frozenset(
    {
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/policy:Policy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    }
)
ATTACHMENT_TYPES = frozenset(
    {
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    }
)
BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
SSE_CONFIG_TYPES = frozenset(
    {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    }
)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KMS_KEY = "aws:kms/key:Key"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
CLOUD_RUN_V2_SERVICE = "gcp:cloudrunv2/service:Service"
CLOUD_RUN_V2_JOB = "gcp:cloudrunv2/job:Job"
DATAPROC_CLUSTER = "gcp:dataproc/cluster:Cluster"
WORKLOAD_CONFIG_TYPES = frozenset(
    {
        CLOUD_RUN_V2_SERVICE,
        CLOUD_RUN_V2_JOB,
        "gcp:cloudrun/service:Service",
        DATAPROC_CLUSTER,
        "gcp:dataproc/job:Job",
        "gcp:dataproc/workflowTemplate:WorkflowTemplate",
        "gcp:compute/instance:Instance",
        "gcp:compute/instanceTemplate:InstanceTemplate",
        "gcp:cloudfunctionsv2/function:Function",
    }
)

S3_DATA_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetObjectVersion")
S3_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion")
KMS_DATA_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo")
BROAD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess")
AWS_KEY_ENV_NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
S3A_SECRET_SUFFIXES = ("access.key", "secret.key", "session.token")
ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
SSE_HEADER = "s3:x-amz-server-side-encryption"
# Request headers that name an encryption; multipart parts carry none of them (S3 API reference, UploadPart).
SSE_REQUEST_KEYS = (
    SSE_HEADER,
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-server-side-encryption-customer-algorithm",
)
KMS_SSE_VALUES = ("aws:kms", "aws:kms:dsse")
DEFAULT_COMPUTE_SA = re.compile(r"(-compute@developer|@appspot)\.gserviceaccount\.com$")

_STS_KEYS = "AWS Service Authorization Reference, STS condition keys for accounts.google.com"


def read_document(value: Any, what: str) -> tuple[dict[str, Any] | None, list[str]]:
    try:
        return parse(value), []
    except UnreadableDocumentError as error:
        return None, [f"{what} is unreadable: {error}"]


def google_trust_statements(resource: Resource) -> Iterator[Statement]:
    document, _ = read_document(resource.props.get("assumeRolePolicy"), "trust policy")
    for statement in statements(document or {}):
        if statement.allows and is_google_federation(statement) and statement.grants(WEB_IDENTITY):
            yield statement


def identity_documents(resource: Resource) -> Iterator[tuple[str, dict[str, Any] | None, list[str]]]:
    """(label, document, problems) for every identity policy the resource carries."""
    if resource.type in IDENTITY_POLICY_TYPES:
        document, problems = read_document(resource.props.get("policy"), "policy document")
        yield "policy", document, problems
    elif resource.type == ROLE:
        for index, inline in enumerate(as_list(resource.props.get("inlinePolicies"))):
            if isinstance(inline, Mapping):
                document, problems = read_document(inline.get("policy"), f"inline policy #{index}")
                yield f"inline policy {inline.get('name') or index!r}", document, problems


def allow_statements(resource: Resource) -> Iterator[tuple[str, Statement]]:
    for label, document, _ in identity_documents(resource):
        for statement in statements(document or {}):
            if statement.allows:
                yield f"{label}, {statement.label}", statement


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, key, value) for every entry in nested mappings and lists."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, key, item
            yield from walk(item, child)
    elif is_sequence(value):
        for index, item in enumerate(value):
            child = f"{path}[{index}]"
            yield child, index, item
            yield from walk(item, child)


def dig(props: Mapping[str, Any], *path: str) -> Any:
    current: Any = props
    for part in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def bucket_policy_statements(resource: Resource) -> tuple[list[Statement], list[str]]:
    document, problems = read_document(resource.props.get("policy"), "bucket policy")
    return list(statements(document or {})), problems


def check_no_resource(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    yield f"{resource.type.rsplit(':', 1)[-1]} {resource.name!r} creates a long-lived key"


def sse_defaults(resource: Resource) -> list[Mapping[str, Any]]:
    if resource.type in SSE_CONFIG_TYPES:
        rules = as_list(resource.props.get("rules"))
    else:
        inline = resource.props.get("serverSideEncryptionConfiguration")
        rules = as_list(dig(inline, "rule")) if isinstance(inline, Mapping) else []
    return [r.get("applyServerSideEncryptionByDefault") or {} for r in rules if isinstance(r, Mapping)]


def web_identity_statements(resource: Resource) -> Iterator[Statement]:
    """The trust's Allow statements for sts:AssumeRoleWithWebIdentity, whatever the provider."""
    document, _ = read_document(resource.props.get("assumeRolePolicy"), "trust policy")
    for statement in statements(document or {}):
        if statement.allows and statement.grants(WEB_IDENTITY):
            yield statement


@dataclass(frozen=True)
class FederatedRole:
    """A web-identity role with every identity document and managed policy the stack gives it."""

    role: Resource
    documents: tuple[tuple[Resource, str, Statement], ...]  # (carrier, label, Allow statement)
    managed: tuple[tuple[Resource, str], ...]  # (carrier, policy ARN)

    @property
    def name(self) -> str:
        return str(self.role.props.get("name") or self.role.name)


def federated_roles(resources: Sequence[Resource]) -> list[FederatedRole]:
    """Roles that trust a web identity, linked to their inline policies, RolePolicy resources, managed
    policy ARNs and policy attachments by role name (what `role`/`roles` hold once resolved). One pass
    indexes the policies and attachments by role name, so the cost stays linear in the stack's size."""
    roles = [r for r in resources if r.type == ROLE and any(web_identity_statements(r))]
    if not roles:
        return []
    inline: dict[str, list[Resource]] = {}
    attached: dict[str, list[tuple[Resource, str]]] = {}
    for resource in resources:
        if resource.type == ROLE_POLICY:
            inline.setdefault(str(resource.props.get("role")), []).append(resource)
        for role_name in _attached_role_names(resource):
            attached.setdefault(role_name, []).append((resource, str(resource.props.get("policyArn"))))
    found = []
    for role in roles:
        name = str(role.props.get("name") or role.name)
        carriers = [role, *inline.get(name, [])]
        documents = tuple((c, label, statement) for c in carriers for label, statement in allow_statements(c))
        managed = [(role, str(arn)) for arn in as_list(role.props.get("managedPolicyArns"))]
        managed += attached.get(name, [])
        found.append(FederatedRole(role, documents, tuple(managed)))
    return found


def _attached_role_names(resource: Resource) -> list[str]:
    """The role names a policy attachment attaches to (each once); none for other resources."""
    if resource.type == ROLE_POLICY_ATTACHMENT:
        return [str(resource.props.get("role"))]
    if resource.type == POLICY_ATTACHMENT:
        return list(dict.fromkeys(str(r) for r in as_list(resource.props.get("roles"))))
    return []


def s3_arn_parts(arn: str) -> tuple[str, str] | None:
    """(bucket, key pattern) of an S3 ARN; None for anything else."""
    if not arn.startswith("arn:") or ":s3:::" not in arn:
        return None
    bucket, _, key = arn.split(":s3:::", 1)[1].partition("/")
    return bucket, key


def grants_s3(statement: Statement) -> bool:
    return any(statement.grants(action) for action in S3_DATA_ACTIONS)
