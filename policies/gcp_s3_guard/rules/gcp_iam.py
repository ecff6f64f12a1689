"""GSF040-GSF043: the GCP side of the trust. Who can make Google mint a workload's ID token?

An AWS role that trusts `accounts.google.com` is exactly as safe as the service account it pins: whoever
holds `iam.serviceAccounts.getOpenIdToken`/`getAccessToken`/`implicitDelegation` on it asks Google for
its tokens, and whoever holds `iam.serviceAccounts.actAs` deploys compute that runs as it (Google Cloud
IAM docs: "Service account impersonation", "Roles for service account authentication"). Grants are read
from project, folder, organization and service-account IAM resources in the engine's wire shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ..documents import GOOGLE, UnreadableDocumentError, as_list, parse
from ..model import Resource, Rule
from .common import ROLE, google_trust_statements

SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
# type token -> (what the grant is on, the property naming it)
BROAD_GRANT_TYPES: dict[str, tuple[str, str]] = {
    **{f"gcp:projects/{t}": ("project", "project") for t in ("iAMMember:IAMMember", "iAMBinding:IAMBinding")},
    "gcp:projects/iAMPolicy:IAMPolicy": ("project", "project"),
    **{f"gcp:folder/{t}": ("folder", "folder") for t in ("iAMMember:IAMMember", "iAMBinding:IAMBinding")},
    "gcp:folder/iAMPolicy:IAMPolicy": ("folder", "folder"),
    **{f"gcp:organizations/{t}": ("organization", "orgId") for t in ("iAMMember:IAMMember", "iAMBinding:IAMBinding")},
    "gcp:organizations/iAMPolicy:IAMPolicy": ("organization", "orgId"),
}
SERVICE_ACCOUNT_GRANT_TYPES = frozenset(
    {
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:serviceaccount/iAMBinding:IAMBinding",
        "gcp:serviceaccount/iAMPolicy:IAMPolicy",
    }
)
CUSTOM_ROLE_TYPES = frozenset(
    {"gcp:projects/iAMCustomRole:IAMCustomRole", "gcp:organizations/iAMCustomRole:IAMCustomRole"}
)
AUDIT_CONFIG_TYPES = frozenset(
    {
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        "gcp:folder/iamAuditConfig:IamAuditConfig",
        "gcp:organizations/iamAuditConfig:IamAuditConfig",
    }
)

TOKEN_PERMISSIONS = (
    "iam.serviceAccounts.getOpenIdToken",
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.implicitDelegation",
    "iam.serviceAccounts.actAs",
)
ACT_AS = "iam.serviceAccounts.actAs"
SERVICE_ACCOUNT_USER = "roles/iam.serviceAccountUser"
# Predefined and basic roles holding TOKEN_PERMISSIONS (Google Cloud IAM roles reference).
TOKEN_ROLES: dict[str, str] = {
    "roles/iam.serviceAccountTokenCreator": "mints ID and access tokens for",
    "roles/iam.serviceAccountOpenIdTokenCreator": "mints ID tokens for",
    "roles/iam.workloadIdentityUser": "impersonates",
    SERVICE_ACCOUNT_USER: "deploys compute running as (actAs)",
    "roles/editor": "deploys compute running as (basic role with actAs)",
    "roles/owner": "deploys compute running as (basic role with actAs)",
}
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
TOKEN_MINTING_AUDIT_SERVICES = ("iam.googleapis.com", "allServices")


def _roles_and_members(resource: Resource) -> Iterator[tuple[str, Callable[[], list[Any]]]]:
    """(role, members) of an IAM resource; members are read only when called, after the role: a benign
    role never touches a member that is still unknown at preview."""
    props = resource.props
    if resource.type.endswith(":IAMMember"):
        yield str(props.get("role")), lambda: [props.get("member")]
    elif resource.type.endswith(":IAMBinding"):
        yield str(props.get("role")), lambda: as_list(props.get("members"))
    else:
        try:
            document = parse(props.get("policyData")) or {}
        except UnreadableDocumentError:
            document = {}
        for binding in as_list(document.get("bindings")):
            if isinstance(binding, Mapping):
                yield str(binding.get("role")), _constant(as_list(binding.get("members")))


def _constant(members: list[Any]) -> Callable[[], list[Any]]:
    return lambda: members


def _token_role(role: str, custom: Mapping[str, frozenset[str]]) -> str | None:
    """What holding `role` lets a member do with a service account, or None when it cannot mint tokens."""
    if role in TOKEN_ROLES:
        return TOKEN_ROLES[role]
    if "/roles/" in role:
        permissions = custom.get(role.rsplit("/", 1)[-1], frozenset())
        if permissions:
            kind = "deploys compute running as" if permissions == {ACT_AS} else "mints tokens for"
            return f"{kind} (custom role with {', '.join(sorted(permissions))})"
    return None


def _custom_token_roles(resources: Sequence[Resource]) -> dict[str, frozenset[str]]:
    """roleId -> the token permissions of each custom role in the stack that has any."""
    found: dict[str, frozenset[str]] = {}
    for resource in resources:
        if resource.type in CUSTOM_ROLE_TYPES:
            permissions = frozenset(str(p) for p in as_list(resource.props.get("permissions"))) & set(TOKEN_PERMISSIONS)
            if permissions:
                found[str(resource.props.get("roleId"))] = permissions
    return found


@dataclass(frozen=True)
class GoogleRole:
    urn: str
    name: str
    subjects: frozenset[str]  # the :sub values (service account unique ids); empty when not yet known


def _google_roles(resources: Sequence[Resource]) -> list[GoogleRole]:
    """Roles trusting accounts.google.com. A trust still unknown at preview counts as one (with unknown
    subjects), so that a grant the rule cannot place is judged rather than passed."""
    found = []
    for role in (r for r in resources if r.type == ROLE):
        name = _known_text(role, "name") or role.name
        try:
            trusts = list(google_trust_statements(role))
        except UnknownValueError:
            found.append(GoogleRole(role.urn, name, frozenset()))
            continue
        if trusts:
            subjects = {v for s in trusts for c in s.conditions_on(f"{GOOGLE}:sub") for v in c.values}
            found.append(GoogleRole(role.urn, name, frozenset(subjects)))
    return found


def _known_text(resource: Resource, key: str) -> str:
    try:
        value = resource.props.get(key)
    except UnknownValueError:
        return ""
    return str(value) if value is not None else ""


def _unique_ids_by_email(resources: Sequence[Resource]) -> dict[str, str]:
    """Service-account email -> unique id, for accounts in the stack whose id is known (state, `up`)."""
    found = {}
    for account in (r for r in resources if r.type == SERVICE_ACCOUNT):
        email, unique_id = _known_text(account, "email"), _known_text(account, "uniqueId")
        if not email and _known_text(account, "accountId") and _known_text(account, "project"):
            email = f"{_known_text(account, 'accountId')}@{_known_text(account, 'project')}.iam.gserviceaccount.com"
        if email and unique_id:
            found[email] = unique_id
    return found


def _path_to_roles(roles: Sequence[GoogleRole], unique_id: str | None) -> str:
    """The AWS roles a token of the service account opens: those pinning its unique id when known."""
    reached = [r.name for r in roles if unique_id and unique_id in r.subjects] if unique_id else []
    if reached:
        return f"AWS role {', '.join(sorted(reached))}"
    return f"the AWS roles trusting accounts.google.com ({', '.join(sorted({r.name for r in roles}))})"


def _account_of(resource: Resource) -> str:
    """The email (or unique id) at the end of serviceAccountId (projects/<p>/serviceAccounts/<email>)."""
    return str(resource.props.get("serviceAccountId")).rsplit("/", 1)[-1]


# --- GSF040: grants above the service account ----------------------------------------------------


def check_stack_no_broad_token_grants(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    roles = _google_roles(resources)
    if not roles:
        return
    custom = _custom_token_roles(resources)
    for resource in (r for r in resources if r.type in BROAD_GRANT_TYPES):
        scope, key = BROAD_GRANT_TYPES[resource.type]
        for role, members in _roles_and_members(resource):
            power = _token_role(role, custom)
            if power is None:
                continue
            where = f"{scope} {_known_text(resource, key) or resource.name}"
            for member in members():
                yield (
                    resource.urn,
                    f"{member} holds {role} on {where}, so it {power} every service account there: "
                    f"{member} → {role} on {where} → any workload service account's ID token → "
                    f"{_path_to_roles(roles, None)} → its S3 prefixes",
                )


# --- GSF041: grants on the service account itself ------------------------------------------------


def check_stack_service_account_grants_declared(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    roles = _google_roles(resources)
    if not roles:
        return
    deployers = {str(m) for m in as_list(config.get("deployers"))}
    token_creators = {str(k): {str(m) for m in as_list(v)} for k, v in dict(config.get("tokenCreators") or {}).items()}
    custom = _custom_token_roles(resources)
    unique_ids = _unique_ids_by_email(resources)
    trusted = {s for r in roles for s in r.subjects}
    for resource in (r for r in resources if r.type in SERVICE_ACCOUNT_GRANT_TYPES):
        for role, members in _roles_and_members(resource):
            power = _token_role(role, custom)
            if power is None:
                continue
            for member in (str(m) for m in members()):
                if member in PUBLIC_MEMBERS or (role == SERVICE_ACCOUNT_USER and member in deployers):
                    continue  # public members are GSF042's; declared deployers are the point
                account = _account_of(resource)
                unique_id = unique_ids.get(account, account if account.isdigit() else None)
                if unique_id and trusted and all(r.subjects for r in roles) and unique_id not in trusted:
                    continue  # a service account no AWS role in the stack trusts
                if member in token_creators.get(account, set()):
                    continue
                declared = "deployer" if role == SERVICE_ACCOUNT_USER else f"token creator of {account}"
                yield (
                    resource.urn,
                    f"{member} holds {role} on service account {account} but is not a declared {declared}: "
                    f"{member} → {role} (it {power} {account}) → {account}'s ID token → "
                    f"{_path_to_roles(roles, unique_id)} → "
                    "its S3 prefixes",
                )


# --- GSF042: public members on a service account -------------------------------------------------


def check_service_account_not_public(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for role, members in _roles_and_members(resource):
        for member in (str(m) for m in members()):
            if member in PUBLIC_MEMBERS:
                yield f"{member} holds {role} on service account {_account_of(resource)}"


# --- GSF043: token minting is audited ------------------------------------------------------------


def _audits_token_minting(resource: Resource) -> bool:
    if str(resource.props.get("service")) not in TOKEN_MINTING_AUDIT_SERVICES:
        return False
    return any(
        isinstance(c, Mapping) and c.get("logType") == "ADMIN_READ"
        for c in as_list(resource.props.get("auditLogConfigs"))
    )


def check_stack_token_minting_audited(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    roles = _google_roles(resources)
    if not roles or any(_audits_token_minting(r) for r in resources if r.type in AUDIT_CONFIG_TYPES):
        return
    for role in roles:
        yield (
            role.urn,
            f"nothing in the stack turns on ADMIN_READ Data Access logs for "
            f"{' or '.join(TOKEN_MINTING_AUDIT_SERVICES)}, so GenerateIdToken calls for the service account "
            f"that {role.name!r} trusts leave no record",
        )


_IMPERSONATION = "Google Cloud IAM docs: service account impersonation; IAM roles reference"

RULES: tuple[Rule, ...] = (
    Rule(
        "GSF040",
        "stack-no-broad-token-grants",
        "With a role trusting accounts.google.com, no project, folder or organization grants a role that mints "
        "service-account tokens or acts as service accounts.",
        "A token-creator, workloadIdentityUser, serviceAccountUser, editor or owner grant above the service account "
        "reaches every service account below it, so its holder can get a workload's ID token and assume its AWS "
        f"role ({_IMPERSONATION}).",
        "Grant roles/iam.serviceAccountUser to the deployers on each workload service account only (gcp.deployers); "
        "remove basic roles and project-wide token-creator grants.",
        "mandatory",
        stack_check=check_stack_no_broad_token_grants,
    ),
    Rule(
        "GSF041",
        "stack-service-account-grants-declared",
        "With a role trusting accounts.google.com, service-account grants of token-minting or actAs roles go only "
        "to declared deployers (serviceAccountUser) and declared token creators.",
        "Every member who can mint a workload service account's ID token or act as it can assume the AWS role that "
        f"trusts it ({_IMPERSONATION}).",
        "Remove the grant, or declare the member (gcp.deployers; a workload's token_creators with a reason) and "
        "pass the pack config from `python -m tools.policy_config <stack>`.",
        "mandatory",
        stack_check=check_stack_service_account_grants_declared,
        config={"deployers": [], "tokenCreators": {}},
        config_schema={
            "deployers": {"type": "array", "items": {"type": "string"}},
            "tokenCreators": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        },
    ),
    Rule(
        "GSF042",
        "service-account-not-public",
        "No service account grants any role to allUsers or allAuthenticatedUsers.",
        "A public member on a service account lets anyone with a Google account use whatever the role allows on "
        f"it, up to minting its tokens ({_IMPERSONATION}).",
        "Name the exact principals.",
        "mandatory",
        SERVICE_ACCOUNT_GRANT_TYPES,
        check_service_account_not_public,
    ),
    Rule(
        "GSF043",
        "stack-token-minting-audited",
        "A stack with a role trusting accounts.google.com turns on ADMIN_READ Data Access logs for "
        "iam.googleapis.com (or allServices).",
        "GenerateIdToken is a Data Access (ADMIN_READ) event of iamcredentials.googleapis.com that is only logged "
        "when enabled through iam.googleapis.com or allServices (Google Cloud docs: Service Account Credentials "
        "audit logging).",
        "Add a gcp.projects.IAMAuditConfig for iam.googleapis.com with logType ADMIN_READ (gcp.audit_token_minting).",
        "advisory",
        stack_check=check_stack_token_minting_audited,
    ),
)
