"""Trust and sessions (GSF001-GSF005, GSF029-GSF030): who may assume a federated role, and for how long."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..documents import GOOGLE, as_list, statements
from ..model import Resource, Rule
from .common import _STS_KEYS, ROLE, google_trust_statements, read_document, web_identity_statements


def check_google_trust_pinned(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    allowed = [str(a) for a in as_list(config.get("allowedAudiences"))]
    for statement in google_trust_statements(resource):
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
    for statement in google_trust_statements(resource):
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
        v for s in google_trust_statements(resource) for c in s.conditions_on(f"{GOOGLE}:sub") for v in c.values
    }
    if len(subjects) > 1:
        yield f"the role trusts {len(subjects)} Google service accounts ({', '.join(sorted(subjects))})"


def check_no_wildcard_trust_principal(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    document, problems = read_document(resource.props.get("assumeRolePolicy"), "trust policy")
    yield from problems
    for statement in statements(document or {}):
        if statement.allows and statement.any_principal:
            yield f"{statement.label} allows principal '*' to {', '.join(statement.actions) or 'act'}"


def check_session_duration(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    limit = int(config["maxSessionDurationSeconds"])
    duration = resource.props.get("maxSessionDuration")
    if duration is not None and float(duration) > limit:
        yield f"maxSessionDuration is {int(float(duration))} s; the limit is {limit} s"


def _provider_host(principal: str) -> str:
    """The condition-key prefix of a web identity provider: the host of an IAM OIDC provider ARN, or the
    built-in provider's name (IAM User Guide, "Available keys for AWS web identity federation")."""
    return principal.split(":oidc-provider/", 1)[1] if ":oidc-provider/" in principal else principal


def check_web_identity_trust_conditions(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for statement in web_identity_statements(resource):
        for principal in statement.principals("Federated"):
            host = _provider_host(principal)
            for claim in ("aud", "sub"):
                usable = [
                    c
                    for c in statement.conditions_on(f"{host}:{claim}")
                    if c.qualifier != "ForAllValues" and not c.if_exists
                ]
                if not usable:
                    yield f"{statement.label} trusts {principal} with no condition on {host}:{claim}"


def check_no_extra_trust_statements(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    federated = list(web_identity_statements(resource))
    if not federated:
        return
    document, _ = read_document(resource.props.get("assumeRolePolicy"), "trust policy")
    for statement in statements(document or {}):
        if not statement.allows:
            continue
        others = [f"{kind} {p}" for kind in ("AWS", "Service", "CanonicalUser") for p in statement.principals(kind)]
        if statement.raw.get("Principal") == "*":
            others = ["'*'"]
        if statement in federated and others:
            yield f"{statement.label} also trusts {', '.join(others)}"
        elif statement not in federated:
            who = ", ".join(others) or "another principal"
            yield f"{statement.label} lets {who} assume the federated role too"


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
        "GSF029",
        "web-identity-trust-conditions",
        "Every web-identity trust, whatever the provider, conditions <provider>:aud and <provider>:sub.",
        "Without them any identity the provider issues tokens for can assume the role; ForAllValues: and IfExists "
        "hold when the key is missing (IAM User Guide, web identity condition keys; AWS Security Blog 2023-12-22).",
        "Add StringEquals on <provider>:aud and <provider>:sub (for Google, GSF001 says exactly which values).",
        "mandatory",
        frozenset({ROLE}),
        check_web_identity_trust_conditions,
    ),
    Rule(
        "GSF030",
        "no-extra-trust-statements",
        "A federated role's trust holds the web-identity statement only: no account root, '*', AWS or service "
        "principal.",
        "Every extra Allow is another way in that skips the token's aud/sub checks (IAM User Guide, role trust "
        "policies); an account root principal delegates to every IAM policy in the account.",
        "Remove the extra statements; give other principals their own role.",
        "mandatory",
        frozenset({ROLE}),
        check_no_extra_trust_statements,
    ),
)
