"""The rules. Each is a small check function plus its id, description, reason and fix.

Checks read engine-shaped properties (camelCase keys; documents as JSON strings or objects). They
never catch `UnknownValueError`: during preview an unknown value aborts the check, and the policy SDK
reports "can't run policy ... during preview" as an advisory diagnostic; at `pulumi up` the values are
known and the check runs before the resource is created.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .documents import (
    GOOGLE,
    WEB_IDENTITY,
    Statement,
    UnreadableDocumentError,
    as_list,
    is_google_federation,
    is_sequence,
    parse,
    statements,
)
from .model import Resource, Rule

ROLE = "aws:iam/role:Role"
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
KMS_SSE_VALUES = ("aws:kms", "aws:kms:dsse")
DEFAULT_COMPUTE_SA = re.compile(r"(-compute@developer|@appspot)\.gserviceaccount\.com$")


# --- helpers ---------------------------------------------------------------------------------


def _document(value: Any, what: str) -> tuple[dict[str, Any] | None, list[str]]:
    try:
        return parse(value), []
    except UnreadableDocumentError as error:
        return None, [f"{what} is unreadable: {error}"]


def _google_trust_statements(resource: Resource) -> Iterator[Statement]:
    document, _ = _document(resource.props.get("assumeRolePolicy"), "trust policy")
    for statement in statements(document or {}):
        if statement.allows and is_google_federation(statement) and statement.grants(WEB_IDENTITY):
            yield statement


def _identity_documents(resource: Resource) -> Iterator[tuple[str, dict[str, Any] | None, list[str]]]:
    """(label, document, problems) for every identity policy the resource carries."""
    if resource.type in IDENTITY_POLICY_TYPES:
        document, problems = _document(resource.props.get("policy"), "policy document")
        yield "policy", document, problems
    elif resource.type == ROLE:
        for index, inline in enumerate(as_list(resource.props.get("inlinePolicies"))):
            if isinstance(inline, Mapping):
                document, problems = _document(inline.get("policy"), f"inline policy #{index}")
                yield f"inline policy {inline.get('name') or index!r}", document, problems


def _allow_statements(resource: Resource) -> Iterator[tuple[str, Statement]]:
    for label, document, _ in _identity_documents(resource):
        for statement in statements(document or {}):
            if statement.allows:
                yield f"{label}, {statement.label}", statement


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, key, value) for every entry in nested mappings and lists."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, key, item
            yield from _walk(item, child)
    elif is_sequence(value):
        for index, item in enumerate(value):
            child = f"{path}[{index}]"
            yield child, index, item
            yield from _walk(item, child)


def _dig(props: Mapping[str, Any], *path: str) -> Any:
    current: Any = props
    for part in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _bucket_policy_statements(resource: Resource) -> tuple[list[Statement], list[str]]:
    document, problems = _document(resource.props.get("policy"), "bucket policy")
    return list(statements(document or {})), problems


# --- GSF001-GSF005: trust and sessions ---------------------------------------------------------


def check_google_trust_pinned(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    allowed = [str(a) for a in as_list(config.get("allowedAudiences"))]
    for statement in _google_trust_statements(resource):
        for claim in ("aud", "sub", "oaud"):
            key = f"{GOOGLE}:{claim}"
            conditions = statement.conditions_on(key)
            if not conditions:
                yield f"{statement.label} does not pin {key} (any Google account could assume this role)"
            for condition in conditions:
                if not condition.exact:
                    yield (
                        f"{statement.label} tests {key} with {condition.operator}: only plain StringEquals pins it "
                        "(StringLike takes patterns, ForAllValues: is true when the key is missing, IfExists "
                        "passes when it is absent)"
                    )
                elif not condition.values:
                    yield f"{statement.label} pins {key} to an empty list"
        if allowed:
            for condition in statement.conditions_on(f"{GOOGLE}:oaud"):
                for value in condition.values:
                    if value not in allowed:
                        yield f"{statement.label} trusts audience {value!r}, which is not in allowedAudiences"


def check_google_aud_is_azp(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for statement in _google_trust_statements(resource):
        auds = {v for c in statement.conditions_on(f"{GOOGLE}:aud") for v in c.values}
        subs = {v for c in statement.conditions_on(f"{GOOGLE}:sub") for v in c.values}
        for value in sorted(auds):
            if not value.isdigit():
                yield (
                    f"{statement.label} puts {value!r} in {GOOGLE}:aud, but AWS compares that key with the token's "
                    f"azp claim (the service account's numeric unique id), so it can never match: move {value!r} "
                    f"to {GOOGLE}:oaud and put the uniqueId in {GOOGLE}:aud"
                )
        if auds and subs and auds != subs:
            yield f"{statement.label}: {GOOGLE}:aud {sorted(auds)} and :sub {sorted(subs)} must be the same unique id"


def check_one_service_account_per_role(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    subjects = {
        v for s in _google_trust_statements(resource) for c in s.conditions_on(f"{GOOGLE}:sub") for v in c.values
    }
    if len(subjects) > 1:
        yield f"the role trusts {len(subjects)} Google service accounts ({', '.join(sorted(subjects))})"


def check_no_wildcard_trust_principal(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    document, problems = _document(resource.props.get("assumeRolePolicy"), "trust policy")
    yield from problems
    for statement in statements(document or {}):
        if statement.allows and statement.any_principal:
            yield f"{statement.label} allows principal '*' to {', '.join(statement.actions) or 'act'}"


def check_session_duration(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    limit = int(config["maxSessionDurationSeconds"])
    duration = resource.props.get("maxSessionDuration")
    if duration is not None and float(duration) > limit:
        yield f"maxSessionDuration is {int(float(duration))} s; the limit is {limit} s"


# --- GSF006-GSF009: identity policies ------------------------------------------------------------


def check_no_s3_wildcards(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for _, _, problems in _identity_documents(resource):
        yield from problems
    for label, statement in _allow_statements(resource):
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
    for label, statement in _allow_statements(resource):
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
    for label, statement in _allow_statements(resource):
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
    for label, statement in _allow_statements(resource):
        actions = [a for a in KMS_DATA_ACTIONS if statement.grants(a)]
        if not actions:
            continue
        for arn in statement.resources:
            key_part = arn.rsplit(":", 1)[-1] if arn.startswith("arn:") else arn
            if arn == "*" or any(c in key_part for c in "*?") or key_part.startswith("alias/"):
                yield f"{label} allows {', '.join(actions)} on {arn!r}; name the key ARN"


# --- GSF010-GSF014: static credentials and workload identity -------------------------------------


def check_no_resource(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    yield f"{resource.type.rsplit(':', 1)[-1]} {resource.name!r} creates a long-lived key"


def _secret_key_name(key: str) -> bool:
    name = key.rsplit(":", 1)[-1]  # cluster property prefixes such as spark-env:, core:
    upper = name.upper()
    return any(env in upper for env in AWS_KEY_ENV_NAMES) or ("fs.s3a." in name and name.endswith(S3A_SECRET_SUFFIXES))


def check_no_keys_in_workload_config(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for path, key, value in _walk(resource.props):
        if isinstance(key, str) and _secret_key_name(key):
            yield f"{path} sets an AWS credential"
        elif key in ("name", "key") and isinstance(value, str) and value.upper() in AWS_KEY_ENV_NAMES:
            yield f"{path} = {value} puts an AWS credential in the environment (a secret reference still is one)"
        elif isinstance(value, str) and ("AWS_SECRET_ACCESS_KEY" in value or "fs.s3a.secret.key" in value):
            yield f"{path} mentions an AWS secret key (startup script or metadata)"


def check_no_access_key_ids(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for path, _, value in _walk(resource.props):
        if isinstance(value, str) and ACCESS_KEY_ID.search(value):
            yield f"{path} holds a value shaped like an AWS access key id"


_SERVICE_ACCOUNT_PATHS = {
    CLOUD_RUN_V2_SERVICE: ("template", "serviceAccount"),
    CLOUD_RUN_V2_JOB: ("template", "template", "serviceAccount"),
    DATAPROC_CLUSTER: ("clusterConfig", "gceClusterConfig", "serviceAccount"),
}


def check_dedicated_service_account(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    path = _SERVICE_ACCOUNT_PATHS[resource.type]
    account = _dig(resource.props, *path)
    where = ".".join(path)
    if not account:
        yield f"{where} is not set, so the workload runs as the project's default compute service account"
    elif DEFAULT_COMPUTE_SA.search(str(account)):
        yield f"{where} is the default service account {account}"


# --- GSF015-GSF021: buckets and keys -------------------------------------------------------------


def _sse_defaults(resource: Resource) -> list[Mapping[str, Any]]:
    if resource.type in SSE_CONFIG_TYPES:
        rules = as_list(resource.props.get("rules"))
    else:
        inline = resource.props.get("serverSideEncryptionConfiguration")
        rules = as_list(_dig(inline, "rule")) if isinstance(inline, Mapping) else []
    return [r.get("applyServerSideEncryptionByDefault") or {} for r in rules if isinstance(r, Mapping)]


def check_bucket_sse_kms(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    defaults = _sse_defaults(resource)
    if resource.type in BUCKET_TYPES and not defaults:
        return  # no inline settings: the stack rule looks for a standalone configuration
    if not defaults:
        yield "the configuration has no default-encryption rule"
    for default in defaults:
        algorithm = default.get("sseAlgorithm")
        key = str(default.get("kmsMasterKeyId") or "")
        if algorithm not in KMS_SSE_VALUES:
            yield f"default encryption is {algorithm!r}, not SSE-KMS"
        elif not key or key.endswith("alias/aws/s3"):
            yield "default encryption uses the AWS-managed aws/s3 key, not a customer-managed key"


def check_public_access_block(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [f for f in flags if resource.props.get(f) is not True]
    if off:
        yield f"{', '.join(off)} not true"


def check_bucket_policy_tls(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found, problems = _bucket_policy_statements(resource)
    yield from problems
    denies_plain_http = any(
        s.effect == "Deny"
        and s.grants("s3:GetObject")
        and any(
            c.base == "Bool" and "false" in [v.lower() for v in c.values]
            for c in s.conditions_on("aws:SecureTransport")
        )
        for s in found
    )
    if not denies_plain_http:
        yield "no statement denies requests with aws:SecureTransport false"


def check_bucket_policy_sse_kms(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found, problems = _bucket_policy_statements(resource)
    yield from problems
    enforced = False
    for statement in found:
        for condition in statement.conditions_on(SSE_HEADER):
            literal = [v for v in condition.values if v.upper() in ("SSE-KMS", "SSE_KMS", "KMS")]
            if literal:
                yield (
                    f"{statement.label} compares {SSE_HEADER} with {literal[0]!r}; the header's value is 'aws:kms' "
                    "('SSE-KMS' is Hadoop's fs.s3a.encryption.algorithm setting), so this matches no request"
                )
            if (
                statement.effect == "Deny"
                and statement.grants("s3:PutObject")
                and condition.base == "StringNotEquals"
                and not condition.qualifier
                and set(condition.values) <= set(KMS_SSE_VALUES)
                and condition.values
            ):
                enforced = True
    if not enforced:
        yield f"no statement denies s3:PutObject when {SSE_HEADER} is not 'aws:kms'"


def check_bucket_policy_no_public_principal(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found, problems = _bucket_policy_statements(resource)
    yield from problems
    for statement in found:
        if statement.allows and statement.any_principal:
            yield f"{statement.label} allows principal '*'"


def check_kms_rotation(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    spec = resource.props.get("customerMasterKeySpec") or resource.props.get("keySpec") or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT" and resource.props.get("enableKeyRotation") is not True:
        yield "enableKeyRotation is not true"


def check_key_policy_principal(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    document, problems = _document(resource.props.get("policy"), "key policy")
    yield from problems
    for statement in statements(document or {}):
        if statement.allows and statement.any_principal and not statement.conditions:
            yield f"{statement.label} allows principal '*' without a condition"


# --- GSF025: sizes ------------------------------------------------------------------------------

# (type, property) -> (document, limit in characters; None = the configured trust limit)
SIZE_LIMITS: dict[tuple[str, str], tuple[str, int | None]] = {
    (ROLE, "assumeRolePolicy"): ("trust policy", None),
    ("aws:iam/rolePolicy:RolePolicy", "policy"): ("inline policy", 10240),
    ("aws:iam/policy:Policy", "policy"): ("managed policy", 6144),
    (BUCKET_POLICY, "policy"): ("bucket policy", 20480),
    (KMS_KEY, "policy"): ("key policy", 32768),
    (KMS_KEY_POLICY, "policy"): ("key policy", 32768),
}


def check_document_sizes(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for (typ, prop), (what, limit) in SIZE_LIMITS.items():
        if resource.type != typ:
            continue
        document, problems = _document(resource.props.get(prop), what)
        yield from problems
        if document is None:
            continue
        size = len(json.dumps(_plain(document), separators=(",", ":")))
        allowed = limit if limit is not None else int(config["trustPolicyChars"])
        if size > allowed:
            yield f"the {what} is {size:,} characters (minified), over the {allowed:,} limit"


def _plain(value: Any) -> Any:
    """Proxied mappings and lists as plain JSON data."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if is_sequence(value):
        return [_plain(v) for v in value]
    return value


# --- GSF022-GSF023: whole-stack views ------------------------------------------------------------


def _bucket_name(resource: Resource) -> str:
    return str(resource.props.get("bucket") or resource.name)


def check_stack_bucket_protection(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    encrypted = {str(r.props.get("bucket")) for r in resources if r.type in SSE_CONFIG_TYPES}
    blocked = {str(r.props.get("bucket")) for r in resources if r.type == PUBLIC_ACCESS_BLOCK}
    for bucket in (r for r in resources if r.type in BUCKET_TYPES):
        name = _bucket_name(bucket)
        if name not in encrypted and not _sse_defaults(bucket):
            yield bucket.urn, f"bucket {name!r} has no SSE-KMS configuration (inline or standalone)"
        if name not in blocked:
            yield bucket.urn, f"bucket {name!r} has no public access block"


def check_stack_one_role_per_service_account(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    roles_by_subject: dict[str, list[Resource]] = defaultdict(list)
    for role in (r for r in resources if r.type == ROLE):
        for statement in _google_trust_statements(role):
            for subject in {v for c in statement.conditions_on(f"{GOOGLE}:sub") for v in c.values}:
                roles_by_subject[subject].append(role)
    for subject, roles in sorted(roles_by_subject.items()):
        if len(roles) > 1:
            names = ", ".join(sorted(r.name for r in roles))
            for role in roles:
                yield role.urn, f"service account {subject} is trusted by {len(roles)} roles ({names})"


LOGGING_TYPES = frozenset({"aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"})
TRAIL = "aws:cloudtrail/trail:Trail"


def _trail_covers(trail: Resource, bucket: str) -> bool:
    """Whether the trail records S3 object data events for `bucket` (advanced or classic selectors)."""
    arn = f"arn:aws:s3:::{bucket}/"
    for selector in as_list(trail.props.get("advancedEventSelectors")):
        fields = {str(f.get("field")): f for f in as_list(_dig(selector, "fieldSelectors")) if isinstance(f, Mapping)}
        if "Data" not in as_list(_dig(fields, "eventCategory", "equals")):
            continue
        arns = fields.get("resources.ARN")
        if arns is None or any(arn.startswith(str(p)) for p in as_list(arns.get("startsWiths"))):
            return True
        if any(str(v).startswith(arn) or str(v) == arn for v in as_list(arns.get("equals"))):
            return True
    for selector in as_list(trail.props.get("eventSelectors")):
        for data in as_list(_dig(selector, "dataResources")):
            if (
                isinstance(data, Mapping)
                and data.get("type") == "AWS::S3::Object"
                and any(arn.startswith(str(v)) for v in as_list(data.get("values")))
            ):
                return True
    return False


def check_stack_bucket_access_logging(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    trails = [r for r in resources if r.type == TRAIL]
    logged = {str(r.props.get("bucket")) for r in resources if r.type in LOGGING_TYPES}
    destinations = {str(r.props.get("targetBucket")) for r in resources if r.type in LOGGING_TYPES}
    destinations |= {str(t.props.get("s3BucketName")) for t in trails}
    for bucket in (r for r in resources if r.type in BUCKET_TYPES):
        name = _bucket_name(bucket)
        if name in destinations or name in logged or bucket.props.get("loggings") or bucket.props.get("logging"):
            continue
        if not any(_trail_covers(t, name) for t in trails):
            yield bucket.urn, f"bucket {name!r} records no object-level access (no server access logging, no trail)"


# --- the catalogue --------------------------------------------------------------------------------

_STS_KEYS = "AWS Service Authorization Reference, STS condition keys for accounts.google.com"

RULES: tuple[Rule, ...] = (
    Rule(
        "GSF001",
        "google-trust-pinned",
        "Google web-identity trusts pin accounts.google.com:aud, :sub and :oaud with StringEquals.",
        "An OIDC principal without exact conditions lets other Google identities assume the role; ForAllValues: "
        f"is true when the key is missing ({_STS_KEYS}; AWS Security Blog 2023-12-22).",
        "Use StringEquals with :aud = :sub = the SA's uniqueId and :oaud = the audience.",
        "mandatory",
        frozenset({ROLE}),
        check_google_trust_pinned,
        config={"allowedAudiences": []},
        config_schema={"allowedAudiences": {"type": "array", "items": {"type": "string"}}},
    ),
    Rule(
        "GSF002",
        "google-aud-is-azp",
        "accounts.google.com:aud holds the SA's numeric unique id (it is matched to azp), equal to :sub.",
        f"For Google, IAM compares :aud with the token's azp claim, not its aud; an audience string there "
        f"never matches ({_STS_KEYS}).",
        "Put the audience in accounts.google.com:oaud; put the uniqueId in :aud and :sub.",
        "mandatory",
        frozenset({ROLE}),
        check_google_aud_is_azp,
    ),
    Rule(
        "GSF003",
        "one-service-account-per-role",
        "A role trusts exactly one Google service account.",
        "Several :sub values share one role, so CloudTrail cannot tell which workload acted.",
        "Create one role per service account (the FederatedWorkload component does).",
        "mandatory",
        frozenset({ROLE}),
        check_one_service_account_per_role,
    ),
    Rule(
        "GSF004",
        "no-wildcard-trust-principal",
        "No trust policy allows Principal '*' or AWS '*'.",
        "A wildcard principal lets any AWS account or identity assume the role (IAM User Guide, principals).",
        "Name the exact federated provider or account principal.",
        "mandatory",
        frozenset({ROLE}),
        check_no_wildcard_trust_principal,
    ),
    Rule(
        "GSF005",
        "session-duration-limit",
        "Role maxSessionDuration stays within the configured maximum (default 12 h).",
        "Stolen session credentials work until they expire; rotate at least every 12 h (STS allows 1-12 h).",
        "Lower maxSessionDuration (1 h is the default here).",
        "mandatory",
        frozenset({ROLE}),
        check_session_duration,
        config={"maxSessionDurationSeconds": 43200},
        config_schema={"maxSessionDurationSeconds": {"type": "integer", "minimum": 3600, "maximum": 43200}},
    ),
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
        "GSF011",
        "no-gcp-service-account-keys",
        "No gcp.serviceaccount.Key resources.",
        "Service-account keys are long-lived secrets and their tokens carry an email, not the uniqueId, in azp.",
        "Use the metadata server's identity token of the attached service account.",
        "mandatory",
        frozenset({"gcp:serviceaccount/key:Key"}),
        check_no_resource,
    ),
    Rule(
        "GSF012",
        "no-aws-keys-in-workload-config",
        "No AWS credentials in Cloud Run env, Dataproc properties, or instance/cluster metadata.",
        "Env vars, properties and metadata are readable by anyone with viewer access and end up in logs.",
        "Remove them; set AWS_ROLE_ARN and the audience, and let the runtime federate.",
        "mandatory",
        WORKLOAD_CONFIG_TYPES,
        check_no_keys_in_workload_config,
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
        "GSF014",
        "dedicated-service-account",
        "Cloud Run v2 services/jobs and Dataproc clusters run as a dedicated service account.",
        "The default compute SA is shared by everything in the project; AWS trusts an SA, so it must be one "
        "workload's (AWS Security Blog 2023-12-22).",
        "Set the service account to the workload's own (serviceAccount / gceClusterConfig.serviceAccount).",
        "mandatory",
        frozenset(_SERVICE_ACCOUNT_PATHS),
        check_dedicated_service_account,
    ),
    Rule(
        "GSF015",
        "bucket-sse-kms-cmk",
        "Bucket default encryption is SSE-KMS with a customer-managed key.",
        "AES256 and the aws/s3 key cannot be scoped by key policy or audited per key (Trivy AVD-AWS-0132).",
        "Set sseAlgorithm aws:kms and kmsMasterKeyId to your CMK's ARN.",
        "mandatory",
        SSE_CONFIG_TYPES | BUCKET_TYPES,
        check_bucket_sse_kms,
    ),
    Rule(
        "GSF016",
        "bucket-public-access-block",
        "All four public-access-block flags are true.",
        "Any flag left off lets an ACL or policy make data public (S3 User Guide; Checkov CKV_AWS_53-56).",
        "Set blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets to true.",
        "mandatory",
        frozenset({PUBLIC_ACCESS_BLOCK}),
        check_public_access_block,
    ),
    Rule(
        "GSF017",
        "bucket-policy-denies-plain-http",
        "Bucket policies deny requests without TLS.",
        "Credentials and data must not cross the network in clear text (S3 User Guide; AWS Security Hub S3.5).",
        'Add a Deny on s3:* with Bool {"aws:SecureTransport": "false"}.',
        "mandatory",
        frozenset({BUCKET_POLICY}),
        check_bucket_policy_tls,
    ),
    Rule(
        "GSF018",
        "bucket-policy-requires-sse-kms",
        "Bucket policies deny uploads whose SSE header is not 'aws:kms' (and never compare with 'SSE-KMS').",
        "Without it a writer can store objects outside the CMK; 'SSE-KMS' is Hadoop's setting, not the header "
        "value, so a deny on it blocks every upload or none.",
        'Deny s3:PutObject with StringNotEquals {"s3:x-amz-server-side-encryption": "aws:kms"}.',
        "mandatory",
        frozenset({BUCKET_POLICY}),
        check_bucket_policy_sse_kms,
    ),
    Rule(
        "GSF019",
        "bucket-policy-no-public-principal",
        "Bucket policies allow no '*' principal.",
        "An Allow to '*' is public access unless the public access block catches it (S3 User Guide).",
        "Name the principals; let identity policies grant the federated roles.",
        "mandatory",
        frozenset({BUCKET_POLICY}),
        check_bucket_policy_no_public_principal,
    ),
    Rule(
        "GSF020",
        "kms-key-rotation",
        "Symmetric KMS keys rotate automatically.",
        "Rotation limits how much data one key version protects (KMS best practices; Trivy AVD-AWS-0065).",
        "Set enableKeyRotation: true.",
        "advisory",
        frozenset({KMS_KEY}),
        check_kms_rotation,
    ),
    Rule(
        "GSF021",
        "kms-key-policy-no-open-principal",
        "Key policies allow no unconditioned '*' principal.",
        "A key policy is the key's root of trust; '*' without conditions lets any principal use the key.",
        "Name the account root or roles, or add conditions such as kms:ViaService and aws:PrincipalArn.",
        "mandatory",
        frozenset({KMS_KEY, KMS_KEY_POLICY}),
        check_key_policy_principal,
    ),
    Rule(
        "GSF022",
        "stack-buckets-protected",
        "Every S3 bucket in the stack has SSE-KMS settings and a public access block.",
        "pulumi-aws v7 configures these as separate resources; forgetting one leaves a bucket unprotected.",
        "Add BucketServerSideEncryptionConfiguration and BucketPublicAccessBlock for the bucket.",
        "mandatory",
        stack_check=check_stack_bucket_protection,
    ),
    Rule(
        "GSF023",
        "stack-one-role-per-service-account",
        "No Google service account is trusted by more than one role in the stack.",
        "Two roles for one SA blur which permissions a workload holds and which role's events are its own.",
        "Merge the grants into one role per service account.",
        "advisory",
        stack_check=check_stack_one_role_per_service_account,
    ),
    Rule(
        "GSF024",
        "stack-bucket-access-logging",
        "Every S3 bucket records object-level access (server access logging or CloudTrail data events).",
        "Without it nobody can say which workload read or wrote an object (Checkov CKV_AWS_18, Trivy AVD-AWS-0089).",
        "Enable the stack's audit trail (audit.cloudtrail) or S3 server access logging to a log bucket.",
        "advisory",
        stack_check=check_stack_bucket_access_logging,
    ),
    Rule(
        "GSF025",
        "document-size-limits",
        "Trust, inline, managed, bucket and key policies fit AWS's size limits (minified).",
        "An oversized document fails only at apply time, after part of the stack changed (IAM and STS quotas: "
        "trust 2,048, inline 10,240 per role, managed 6,144; bucket policy 20 KB; key policy 32 KB).",
        "Split grants across workloads, merge prefixes, or raise trustPolicyChars after a quota increase.",
        "mandatory",
        frozenset(t for t, _ in SIZE_LIMITS),
        check_document_sizes,
        config={"trustPolicyChars": 2048},
        config_schema={"trustPolicyChars": {"type": "integer", "minimum": 2048, "maximum": 8192}},
    ),
)
