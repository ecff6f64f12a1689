"""Effective access of a stack, from its rendered documents, by evaluating probe requests.

Nothing here reads the stack config. For every role: who can assume it (its trust, evaluated with the
token of the service account it pins and with a stranger's token), and what that session may do on
each bucket, asked as S3 requests the way `gcp-aws-credentials explain` asks them (identity policies,
bucket policy and key policy evaluated together). The probes per granted prefix `p/`:
an object under it (`p/*`), the key `p/` itself, the key `p` without the slash, and a sibling
(`p-…/`, shown as `p*`) that a grant must not reach. Guardrails are probed on their own: a bucket or
key policy is asked what it decides for requests that should be refused (plain HTTP, wrong or missing
SSE headers, principals outside the role path or the account) and for the requests that should pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from gcp_aws_credentials.authorize import Documents, replay
from gcp_aws_credentials.environment import DURATION_SECONDS
from gcp_aws_credentials.evaluate import Request, as_list, evaluate
from gcp_aws_credentials.explain import (
    GOOGLE,
    ROLE,
    PlanDocuments,
    bucket_encryption,
    bucket_key,
    bucket_policy_document,
    explain_kms,
    explain_trust,
)
from gcp_aws_credentials.s3_authz import Caller, HttpRequest, KeyLedger
from gcp_aws_credentials.state import StackState, StateResource, policy_document

PROBE = "gsf-probe"
OTHER_ACCOUNT = "999999999999"
KMS_ACCESS = ("kms:Decrypt", "kms:GenerateDataKey")
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
WORKLOAD_ENV_OUTPUT = "environment_variables"


@dataclass(frozen=True, order=True)
class AccessRow:
    """One thing one workload's session may do."""

    workload: str
    principal: str
    role: str
    bucket: str
    prefix: str
    access: str


@dataclass(frozen=True)
class Scope:
    """A probe target: how it is shown, the object key and the ListBucket prefix it asks for."""

    label: str
    key: str | None
    list_prefix: str | None


def scopes(prefix: str) -> list[Scope]:
    """The probes for one granted prefix ('' = the whole bucket)."""
    if not prefix:
        return [Scope("*", f"{PROBE}/object", f"{PROBE}/"), Scope("(no prefix)", None, None)]
    stem = prefix.removesuffix("/")
    return [
        Scope(f"{prefix}*", f"{prefix}{PROBE}/object", f"{prefix}{PROBE}/"),
        Scope(prefix, prefix, prefix),
        Scope(stem, stem, stem),
        Scope(f"{stem}*", f"{stem}-{PROBE}/object", f"{stem}-{PROBE}/"),
    ]


def _s3_targets(document: Mapping[str, Any], effect: str = "Allow") -> list[tuple[str, str]]:
    """(bucket, prefix) pairs a document's statements of `effect` name, up to the first wildcard."""
    found: list[tuple[str, str]] = []
    for statement in as_list(document.get("Statement")):
        if statement.get("Effect") != effect:
            continue
        patterns = [str(r) for r in as_list(statement.get("Resource"))]
        listed = [
            str(v)
            for values in (statement.get("Condition") or {}).values()
            for key, value in dict(values).items()
            if key.lower() == "s3:prefix"
            for v in as_list(value)
        ]
        for pattern in patterns:
            if not pattern.startswith("arn:aws:s3:::"):
                continue
            bucket, _, rest = pattern.removeprefix("arn:aws:s3:::").partition("/")
            if "*" in bucket or "?" in bucket:
                continue
            found += [(bucket, _prefix(text)) for text in ([rest] if rest else listed)]
    return found


def _prefix(pattern: str) -> str:
    """`raw/events/*` -> `raw/events/`; `raw/ev*` -> `raw/ev/`; `*` -> ''."""
    cut = min((i for i, c in enumerate(pattern) if c in "*?"), default=len(pattern))
    text = pattern[:cut]
    return text if not text or text.endswith("/") else f"{text}/"


class StackAccess:
    """The workloads, their documents and their buckets in one stack state."""

    def __init__(self, state: StackState) -> None:
        self.state = state
        self.workloads = {state.workload_of(r): PlanDocuments(state, state.workload_of(r)) for r in state.of_type(ROLE)}

    def buckets(self) -> set[str]:
        declared = {str(r.value("bucket") or r.name) for r in self.state.of_type(*BUCKET_TYPES)}
        named = {bucket for docs in self.workloads.values() for bucket, _ in self.targets(docs)}
        return declared | named

    def targets(self, docs: PlanDocuments) -> list[tuple[str, str]]:
        """(bucket, prefix) the workload's identity policies and its buckets' policies allow."""
        found = [t for _, document in docs.identity_policies() for t in _s3_targets(document)]
        for bucket in {b for b, _ in found}:
            found += [t for _, document in docs.bucket_policy(bucket) for t in _s3_targets(document)]
        return found

    def documents(self, docs: PlanDocuments, buckets: Iterable[str]) -> Documents:
        """What decides the workload's requests: identity, bucket and (known) key policies."""
        keys = {bucket: bucket_key(self.state, bucket) for bucket in buckets}
        return Documents(
            identity=docs.identity_policies(),
            bucket_policies={bucket: docs.bucket_policy(bucket) for bucket in keys},
            key_policies={
                key_arn: (f"key policy of {bucket}'s key", policy)
                for bucket, (key_arn, policy) in keys.items()
                if key_arn is not None and policy is not None
            },
        )

    def fingerprint(self, workload: str, probes: Mapping[str, set[str]]) -> str:
        """Everything `rows` depends on, as text: equal fingerprints mean equal rows."""
        docs = self.workloads[workload]
        inputs = {
            "principal": assuming_principal(self.state, docs),
            "role": docs.role_arn,
            "documents": dataclass_fields(self.documents(docs, probes)),
            "encryption": {b: dataclass_fields(bucket_encryption(self.state, b)) for b in sorted(probes)},
            "regions": {b: _region(docs, bucket_encryption(self.state, b).key_arn) for b in sorted(probes)},
            "probes": {bucket: sorted(prefixes) for bucket, prefixes in sorted(probes.items())},
        }
        return json.dumps(inputs, sort_keys=True, default=str)

    def rows(self, workload: str, probes: Mapping[str, set[str]]) -> set[AccessRow]:
        """What `workload` may do on each bucket, asked at every probe prefix in `probes` (bucket -> prefixes).

        Each access is the HTTP requests a client sends, replayed through the request model
        (`gcp_aws_credentials.authorize`): every S3 check and every KMS call S3 makes must pass."""
        docs = self.workloads[workload]
        principal = assuming_principal(self.state, docs)
        if principal is None:
            return set()
        documents = self.documents(docs, probes)
        encryption = {bucket: bucket_encryption(self.state, bucket) for bucket in probes}
        found: set[AccessRow] = set()
        for bucket, prefixes in sorted(probes.items()):
            key_arn = encryption[bucket].key_arn
            caller = Caller(docs.role_arn, _region(docs, key_arn))

            def row(prefix: str, access: str, bucket: str = bucket) -> AccessRow:
                return AccessRow(workload, principal, docs.role_arn, bucket, prefix, access)

            def passes(requests: list[HttpRequest], caller: Caller = caller) -> bool:
                return all(r.allowed for r in replay(requests, caller, documents, KeyLedger(encryption)))

            for scope in (s for prefix in sorted(prefixes) for s in scopes(prefix)):
                found |= {row(scope.label, a) for a, flow in scope_requests(bucket, scope).items() if passes(flow)}
            if key_arn is not None and key_arn.startswith("arn:"):
                found |= {row("(bucket key)", a) for a in KMS_ACCESS if explain_kms(docs, bucket, a).allowed}
        return found


def dataclass_fields(value: Any) -> dict[str, Any]:
    """A dataclass's fields, shallow (`asdict` deep-copies every policy document)."""
    return {f.name: getattr(value, f.name) for f in fields(value)}


def _region(docs: PlanDocuments, key_arn: str | None) -> str:
    """The bucket's region (its key's), else the workload's: where S3 calls KMS (kms:ViaService)."""
    return key_arn.split(":")[3] if key_arn and key_arn.startswith("arn:") else docs.region


def scope_requests(bucket: str, scope: Scope) -> dict[str, list[HttpRequest]]:
    """The requests of each access at one probe target, as clients send them: boto3's `put_object` and
    `upload_file` send no SSE headers by default (runtime/gcp_aws_credentials/traces/boto3.json), so the bucket default
    encrypts; a multipart upload is create, part, complete (S3 User Guide, "Multipart upload")."""
    listing = {"list-type": "2"} | ({"prefix": scope.list_prefix} if scope.list_prefix is not None else {})
    flows = {"list": [HttpRequest("GET", bucket, "", listing)]}
    if scope.key:
        upload = {"uploadId": PROBE}
        flows |= {
            "read": [HttpRequest("GET", bucket, scope.key)],
            "write": [HttpRequest("PUT", bucket, scope.key)],
            "write (multipart)": [
                HttpRequest("POST", bucket, scope.key, {"uploads": ""}),
                HttpRequest("PUT", bucket, scope.key, {**upload, "partNumber": "1"}),
                HttpRequest("POST", bucket, scope.key, upload),
            ],
            "delete": [HttpRequest("DELETE", bucket, scope.key)],
        }
    return flows


STRANGER_ID = "100000000000000000000"


def trust_pins(trust: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Condition key -> (operator, value) over the trust's Allow statements."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for statement in as_list(trust.get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        for operator, entries in (statement.get("Condition") or {}).items():
            for key, value in dict(entries).items():
                pins.setdefault(str(key).lower(), []).extend((str(operator), str(v)) for v in as_list(value))
    return pins


def _exact(pins: Mapping[str, list[tuple[str, str]]], key: str) -> str | None:
    return next((value for operator, value in pins.get(key.lower(), []) if operator == "StringEquals"), None)


def assuming_principal(state: StackState, docs: PlanDocuments) -> str | None:
    """Who can assume the role: its pinned service account, any service account, or nobody.

    Asked as the trust sees two metadata-server tokens for the pinned audience and session name: the
    pinned account's, and a stranger's (any service account can ask for any audience)."""
    pins = trust_pins(docs.trust)
    audience = _exact(pins, f"{GOOGLE}:oaud") or f"{PROBE}-audience"
    session = _exact(pins, "sts:RoleSessionName") or f"{PROBE}@stranger"
    stranger = {"aud": audience, "azp": STRANGER_ID, "sub": STRANGER_ID}
    if explain_trust(docs.trust, stranger, session).allowed:
        return "any Google service account"
    sub = _exact(pins, f"{GOOGLE}:sub")
    claims = {"aud": audience, "azp": _exact(pins, f"{GOOGLE}:aud") or sub, "sub": sub}
    if sub is None or not explain_trust(docs.trust, claims, session).allowed:
        return None
    account = state.find("gcp:serviceaccount/account:Account", lambda r: str(r.value("uniqueId")) == sub)
    email = str(account.value("email")) if account else f"{session}.iam.gserviceaccount.com"
    return f"{email} ({sub})"


# Roles whose holders make Google mint ID tokens for a service account (iam.serviceAccounts.getOpenIdToken
# or actAs): Google Cloud IAM docs, "Service account impersonation" and "IAM roles for service accounts".
MINTING_ROLES = (
    "roles/iam.serviceAccountUser",
    "roles/iam.serviceAccountOpenIdTokenCreator",
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.workloadIdentityUser",
    "roles/editor",
    "roles/owner",
)
SA_IAM_TYPES = (
    "gcp:serviceaccount/iAMPolicy:IAMPolicy",
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    "gcp:serviceaccount/iAMMember:IAMMember",
)
PROJECT_IAM_TYPES = ("gcp:projects/iAMBinding:IAMBinding", "gcp:projects/iAMMember:IAMMember")


def _bindings(resource: StateResource) -> list[tuple[str, list[str]]]:
    if resource.type.endswith("IAMPolicy"):
        document = policy_document(resource.value("policyData") or "{}", f"IAM policy {resource.name}")
        return [(str(b.get("role")), [str(m) for m in as_list(b.get("members"))]) for b in document.get("bindings", [])]
    members = as_list(resource.value("members")) or as_list(resource.value("member"))
    return [(str(resource.value("role")), [str(m) for m in members])]


def token_minters(state: StackState, unique_id: str) -> str:
    """Who the stack lets make Google mint tokens for the service account with this unique id: its own
    IAM policy, bindings and members, and project-wide grants of the same roles."""
    account = state.find("gcp:serviceaccount/account:Account", lambda r: str(r.value("uniqueId")) == unique_id)
    if account is None:
        return "not in this state"
    names = {str(account.value("name")), str(account.value("email")), str(account.value("id") or "")} - {""}
    on_account = [r for r in state.of_type(*SA_IAM_TYPES) if str(r.value("serviceAccountId")) in names]
    project = str(account.value("project") or "")
    on_project = [r for r in state.of_type(*PROJECT_IAM_TYPES) if str(r.value("project")) == project]
    found = sorted(
        f"{member} ({role}{', project-wide' if resource in on_project else ''})"
        for resource in on_account + on_project
        for role, members in _bindings(resource)
        if role in MINTING_ROLES
        for member in members
    )
    return "; ".join(found) or "nobody but compute that runs as it"


def trust_facets(state: StackState, docs: PlanDocuments) -> dict[str, str]:
    """What a reviewer must see change about who can become the role, and for how long."""
    pins = trust_pins(docs.trust)

    def pinned(key: str) -> str:
        values = [v if op == "StringEquals" else f"{op} {v}" for op, v in pins.get(key.lower(), [])]
        return ", ".join(values) or "not pinned"

    principals = sorted(
        str(p)
        for statement in as_list(docs.trust.get("Statement"))
        if statement.get("Effect") == "Allow"
        for p in as_list((statement.get("Principal") or {}).get("Federated"))
    )
    kinds = [p if p == GOOGLE else f"IAM OIDC provider {p}" for p in principals]
    revoked = sorted(
        str(v)
        for _, document in docs.identity_policies()
        for statement in as_list(document.get("Statement"))
        if statement.get("Effect") == "Deny"
        for key, v in (statement.get("Condition") or {}).get("DateLessThan", {}).items()
        if key.lower() == "aws:tokenissuetime"
    )
    workload_outputs = (state.outputs.get("workloads") or {}).get(docs.workload) or {}
    requested = (workload_outputs.get(WORKLOAD_ENV_OUTPUT) or {}).get(DURATION_SECONDS)
    return {
        "role": docs.role_arn,
        "principal kind": ", ".join(kinds) or "none",
        "audience (oaud)": pinned(f"{GOOGLE}:oaud"),
        "azp (:aud)": pinned(f"{GOOGLE}:aud"),
        "sub": pinned(f"{GOOGLE}:sub"),
        "session name": pinned("sts:RoleSessionName"),
        "GCP token minters": token_minters(state, _exact(pins, f"{GOOGLE}:sub") or ""),
        "max session duration": f"{docs.role.value('maxSessionDuration') or 3600} s",
        "requested duration": f"{requested} s" if requested else "not set",
        "trust": "accepts tokens" if assuming_principal(state, docs) else "suspended: no token is accepted",
        "sessions issued before": ", ".join(revoked) or "none revoked",
    }


# --- guardrails ------------------------------------------------------------------------------------

Outcome = str  # "deny" (explicitly denied), "none" (no decision), "allow"
RANK = {"deny": 0, "none": 1, "allow": 2}


@dataclass(frozen=True)
class Probe:
    name: str
    request: Request


def _outcome(document: Mapping[str, Any], request: Request) -> Outcome:
    decision = evaluate([("guardrail", document)], request)
    if decision.deciding is None:
        return "none"
    return "allow" if decision.allowed else "deny"


SSE = "s3:x-amz-server-side-encryption"
SSE_KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_C = "s3:x-amz-server-side-encryption-customer-algorithm"


def bucket_probes(bucket: str, key_arn: str | None, inside: str, named: Iterable[str] = ()) -> list[Probe]:
    """Requests a bucket policy should refuse, and the ones it must let through, by a role at `inside`."""
    account = inside.split(":")[4]
    outsider, stranger = f"arn:aws:iam::{account}:role/{PROBE}-outsider", f"arn:aws:iam::{OTHER_ACCOUNT}:role/{PROBE}"
    key_arn = key_arn or f"arn:aws:kms:us-east-1:{account}:key/{PROBE}"
    other_key = f"{key_arn.rsplit('/', 1)[0]}/00000000-0000-0000-0000-000000000000"
    bucket_arn, obj = f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/{PROBE}/object"
    kms = {SSE: "aws:kms", SSE_KEY_ID: key_arn}

    def request(
        action: str, who: str | None, headers: Mapping[str, str] | None = None, tls: bool = True, resource: str = obj
    ) -> Request:
        context = {"aws:securetransport": ["true" if tls else "false"]}
        if who is not None:
            context |= {"aws:principalarn": [who], "aws:principalaccount": [who.split(":")[4]]}
        context |= {k: [v] for k, v in (headers or {}).items()}
        return Request(action, resource, context, principal_arn=who)

    return [
        Probe("GetObject over plain HTTP", request("s3:GetObject", inside, tls=False)),
        Probe("PutObject without SSE headers", request("s3:PutObject", inside)),
        Probe("PutObject with SSE-S3 (AES256)", request("s3:PutObject", inside, {SSE: "AES256"})),
        Probe("PutObject with SSE-C", request("s3:PutObject", inside, {SSE_C: "AES256"})),
        Probe("PutObject with aws:kms, no key id", request("s3:PutObject", inside, {SSE: "aws:kms"})),
        Probe("PutObject with another KMS key", request("s3:PutObject", inside, {**kms, SSE_KEY_ID: other_key})),
        Probe("PutObject with the bucket key", request("s3:PutObject", inside, kms)),
        Probe("GetObject by a role outside the path", request("s3:GetObject", outsider)),
        Probe("PutObject by a role outside the path", request("s3:PutObject", outsider, kms)),
        Probe("DeleteObject by a role outside the path", request("s3:DeleteObject", outsider)),
        Probe("GetObject from another account", request("s3:GetObject", stranger)),
        Probe("GetObject by anyone (anonymous)", request("s3:GetObject", None)),
        Probe("ListBucket from another account", request("s3:ListBucket", stranger, resource=bucket_arn)),
        *[
            Probe(
                f"{action} by a role outside the path",
                request(f"s3:{action}", outsider, resource=bucket_arn),
            )
            for action in ("ListBucketVersions", "ListBucketMultipartUploads")
        ],
        *[Probe(f"GetObject by {arn}", request("s3:GetObject", arn)) for arn in sorted(named)],
        *[Probe(f"PutObject by {arn}", request("s3:PutObject", arn, kms)) for arn in sorted(named)],
        *[
            Probe(
                f"ListBucketMultipartUploads by {arn}",
                request("s3:ListBucketMultipartUploads", arn, resource=bucket_arn),
            )
            for arn in sorted(named)
        ],
    ]


def key_probes(key_arn: str, bucket: str, inside: str, named: Iterable[str] = ()) -> list[Probe]:
    """KMS calls a bucket key's policy should refuse, and the ones S3 makes for the workloads (with S3
    Bucket Keys the encryption context is the bucket ARN: S3 User Guide, "Reducing the cost of SSE-KMS")."""
    region, account = key_arn.split(":")[3], key_arn.split(":")[4]
    outsider, stranger = f"arn:aws:iam::{account}:role/{PROBE}-outsider", f"arn:aws:iam::{OTHER_ACCOUNT}:role/{PROBE}"

    def request(
        action: str, who: str, via: str | None = f"s3.{region}.amazonaws.com", for_bucket: str = bucket
    ) -> Request:
        context = {"aws:principalarn": [who], "kms:calleraccount": [who.split(":")[4]]}
        if via is not None:
            context["kms:viaservice"] = [via]
            context["kms:encryptioncontext:aws:s3:arn"] = [f"arn:aws:s3:::{for_bucket}"]
        return Request(action, "*", context, principal_arn=who)

    return [
        Probe("Decrypt via S3 by a federated role", request("kms:Decrypt", inside)),
        Probe("GenerateDataKey via S3 by a federated role", request("kms:GenerateDataKey", inside)),
        Probe("Decrypt not through S3", request("kms:Decrypt", inside, via=None)),
        Probe("Decrypt via S3 by a role outside the path", request("kms:Decrypt", outsider)),
        Probe("GenerateDataKey via S3 by a role outside the path", request("kms:GenerateDataKey", outsider)),
        Probe("Decrypt from another account", request("kms:Decrypt", stranger)),
        Probe("Decrypt for another bucket's objects", request("kms:Decrypt", inside, for_bucket=f"{PROBE}-other")),
        Probe("ScheduleKeyDeletion by a principal of the account", request("kms:ScheduleKeyDeletion", outsider, None)),
        *[Probe(f"Decrypt via S3 by {arn}", request("kms:Decrypt", arn)) for arn in sorted(named)],
    ]


@dataclass(frozen=True)
class GuardrailChange:
    document: str
    statement: str
    change: str  # added, removed, changed
    effect: str  # loosens, tightens, loosens and tightens, no modelled effect
    probes: tuple[str, ...]  # "probe: before -> after"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _statements(document: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    statements = [s for s in as_list((document or {}).get("Statement")) if isinstance(s, Mapping)]
    return {str(s.get("Sid") or json.dumps(s, sort_keys=True)): dict(s) for s in statements}


def guardrail_changes(
    what: str, base: Mapping[str, Any] | None, head: Mapping[str, Any] | None, probes: Iterable[Probe]
) -> list[GuardrailChange]:
    """Per statement added, removed or changed: does it alone loosen or tighten the document?"""
    before, after = _statements(base), _statements(head)
    probes = list(probes)
    baseline = {p.name: _outcome({"Statement": list(before.values())}, p.request) for p in probes}
    changes: list[GuardrailChange] = []
    for sid in sorted(before.keys() | after.keys()):
        if before.get(sid) == after.get(sid):
            continue
        variant = dict(before)
        if sid in after:
            variant[sid] = after[sid]
        else:
            del variant[sid]
        outcome = {p.name: _outcome({"Statement": list(variant.values())}, p.request) for p in probes}
        flips = [(name, baseline[name], outcome[name]) for name in baseline if baseline[name] != outcome[name]]
        looser = any(RANK[new] > RANK[old] for _, old, new in flips)
        tighter = any(RANK[new] < RANK[old] for _, old, new in flips)
        effect = {
            (True, False): "loosens",
            (False, True): "tightens",
            (True, True): "loosens and tightens",
        }.get((looser, tighter), "no modelled effect")
        change = "changed" if sid in before and sid in after else "added" if sid in after else "removed"
        label = sid if len(sid) <= 60 else "(unnamed statement)"
        changes.append(
            GuardrailChange(what, label, change, effect, tuple(f"{n}: {old} -> {new}" for n, old, new in flips))
        )
    return changes


@dataclass(frozen=True)
class Guardrail:
    """A bucket policy or a bucket key's policy, and what it guards."""

    kind: str  # "bucket" or "key"
    bucket: str
    key_arn: str | None
    document: dict[str, Any] | None

    def probes(self, inside: str, named: Iterable[str] = ()) -> list[Probe]:
        """The standard probes, plus each principal a fence names (so a new break-glass ARN shows)."""
        if self.kind == "key" and self.key_arn:
            return key_probes(self.key_arn, self.bucket, inside, named)
        return bucket_probes(self.bucket, self.key_arn, inside, named)


def named_principals(document: Mapping[str, Any] | None) -> set[str]:
    """The ARNs (wildcards filled in) that the document's aws:PrincipalArn conditions name."""
    return {
        str(value).replace("*", "x").replace("?", "x")
        for statement in as_list((document or {}).get("Statement"))
        for entries in (statement.get("Condition") or {}).values()
        for key, values in dict(entries).items()
        if key.lower() == "aws:principalarn"
        for value in as_list(values)
        if str(value).startswith("arn:") and str(value).count(":") >= 5
    }


def guardrails(state: StackState) -> dict[str, Guardrail]:
    """Title -> every bucket policy and bucket key policy in the state."""
    found: dict[str, Guardrail] = {}
    for bucket in sorted(StackAccess(state).buckets()):
        key_arn, key_policy = bucket_key(state, bucket)
        found[f"bucket policy of {bucket}"] = Guardrail(
            "bucket", bucket, key_arn, bucket_policy_document(state, bucket)
        )
        if key_policy is not None:
            found[f"key policy of {bucket}'s key"] = Guardrail("key", bucket, key_arn, key_policy)
    return found


def any_role_arn(*states: StackState) -> str:
    """A federated role ARN to ask guardrails about (the first role, by ARN, of either side)."""
    arns = sorted(str(r.value("arn")) for s in states for r in s.of_type(ROLE) if r.value("arn"))
    return arns[0] if arns else f"arn:aws:iam::{OTHER_ACCOUNT}:role/{PROBE}"
