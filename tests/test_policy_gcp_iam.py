"""GSF040-GSF043: grants that let someone mint a workload's Google token, in the engine's wire shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from gcp_s3_guard.model import Resource
from gcp_s3_guard.rules import RULES
from pulumi_policy.proxy import unknown_checking_proxy

from tools.gate import run_gate

RULE = {r.id: r for r in RULES}
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's sentinel for a preview-unknown value
UID = "112233445566778899001"
EMAIL = "etl@acme-data-dev.iam.gserviceaccount.com"
SA_ID = f"projects/acme-data-dev/serviceAccounts/{EMAIL}"
DEPLOYER = "group:deployers@acme.example"
EVE = "user:eve@acme.example"
WORKLOAD = f"serviceAccount:{EMAIL}"


def _entry(typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"type": typ, "name": name, "urn": f"urn:pulumi:dev::p::{typ}::{name}", "inputs": inputs}


def google_role(sub: str = UID, name: str = "gcpfed-dev-etl") -> dict[str, Any]:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "accounts.google.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "accounts.google.com:aud": sub,
                        "accounts.google.com:sub": sub,
                        "accounts.google.com:oaud": "aud",
                    }
                },
            }
        ],
    }
    return _entry("aws:iam/role:Role", name, {"name": name, "assumeRolePolicy": json.dumps(trust)})


ACCOUNT = _entry("gcp:serviceaccount/account:Account", "etl", {"accountId": "etl", "project": "acme-data-dev"})
ACCOUNT_WITH_ID = _entry(
    "gcp:serviceaccount/account:Account", "etl", {"accountId": "etl", "project": "acme-data-dev", "uniqueId": UID}
)


def member(scope: str, role: str, who: str, **where: str) -> dict[str, Any]:
    return _entry(f"gcp:{scope}/iAMMember:IAMMember", f"{scope}-{role}-{who}", {"role": role, "member": who, **where})


def binding(scope: str, role: str, members: list[str], **where: str) -> dict[str, Any]:
    return _entry(f"gcp:{scope}/iAMBinding:IAMBinding", f"{scope}-{role}", {"role": role, "members": members, **where})


def policy(scope: str, bindings: dict[str, list[str]], where: dict[str, str], as_string: bool = True) -> dict[str, Any]:
    data: Any = {"bindings": [{"role": r, "members": m} for r, m in bindings.items()]}
    inputs = {"policyData": json.dumps(data) if as_string else data, **where}
    return _entry(f"gcp:{scope}/iAMPolicy:IAMPolicy", f"{scope}-policy", inputs)


def custom_role(scope: str, role_id: str, permissions: list[str]) -> dict[str, Any]:
    return _entry(f"gcp:{scope}/iAMCustomRole:IAMCustomRole", role_id, {"roleId": role_id, "permissions": permissions})


def found(rule_id: str, entries: list[dict[str, Any]], **config: Any) -> list[tuple[str, str]]:
    rule = RULE[rule_id]
    resources = [Resource(e["type"], e["urn"], e["name"], unknown_checking_proxy(dict(e["inputs"]))) for e in entries]
    if rule.stack_check is not None:
        return list(rule.stack_check(resources, rule.settings(config)))
    assert rule.check is not None
    return [(r.urn, p) for r in resources if rule.applies_to(r.type) for p in rule.check(r, rule.settings(config))]


PROJECT = {"project": "acme-data-dev"}
ON_SA = {"serviceAccountId": SA_ID}

BROAD_GRANTS = [
    member("projects", "roles/iam.serviceAccountTokenCreator", EVE, **PROJECT),
    member("projects", "roles/iam.serviceAccountOpenIdTokenCreator", EVE, **PROJECT),
    member("projects", "roles/iam.workloadIdentityUser", EVE, **PROJECT),
    member("projects", "roles/iam.serviceAccountUser", DEPLOYER, **PROJECT),  # even a deployer: not project-wide
    binding("projects", "roles/editor", [EVE], **PROJECT),
    policy("projects", {"roles/owner": [EVE], "roles/viewer": [DEPLOYER]}, PROJECT),
    policy("projects", {"roles/owner": [EVE]}, PROJECT, as_string=False),
    member("folder", "roles/iam.serviceAccountTokenCreator", EVE, folder="folders/123"),
    binding("folder", "roles/editor", [EVE], folder="folders/123"),
    policy("folder", {"roles/iam.serviceAccountUser": [EVE]}, {"folder": "folders/123"}),
    member("organizations", "roles/owner", EVE, orgId="456"),
    binding("organizations", "roles/iam.workloadIdentityUser", [EVE], orgId="456"),
    policy("organizations", {"roles/iam.serviceAccountOpenIdTokenCreator": [EVE]}, {"orgId": "456"}),
]


@pytest.mark.parametrize("grant", BROAD_GRANTS, ids=lambda e: e["name"])
def test_broad_token_grants_are_mandatory_violations(grant: dict[str, Any]) -> None:
    [(urn, message)] = found("GSF040", [google_role(), ACCOUNT, grant])
    assert urn == grant["urn"]
    assert EVE in message or DEPLOYER in message
    assert "→ the AWS roles trusting accounts.google.com (gcpfed-dev-etl) →" in message
    assert RULE["GSF040"].level == "mandatory"


@pytest.mark.parametrize(
    ("scope", "permission", "where"),
    [
        ("projects", "iam.serviceAccounts.getOpenIdToken", PROJECT),
        ("projects", "iam.serviceAccounts.getAccessToken", PROJECT),
        ("organizations", "iam.serviceAccounts.actAs", {"folder": "folders/123"}),
        ("organizations", "iam.serviceAccounts.implicitDelegation", {"orgId": "456"}),
    ],
)
def test_custom_roles_with_token_permissions_are_flagged(scope: str, permission: str, where: dict[str, str]) -> None:
    role = custom_role(scope, "minter", ["storage.objects.get", permission])
    target = "folder" if "folder" in where else "organizations" if "orgId" in where else "projects"
    parent = "projects/acme-data-dev" if scope == "projects" else "organizations/456"
    grant = member(target, f"{parent}/roles/minter", EVE, **where)
    [(_, message)] = found("GSF040", [google_role(), role, grant])
    assert permission in message and EVE in message
    harmless = custom_role(scope, "minter", ["storage.objects.get"])
    assert found("GSF040", [google_role(), harmless, grant]) == []


def test_benign_project_grants_to_the_workload_pass() -> None:
    entries = [
        google_role(),
        ACCOUNT,
        member("projects", "roles/storage.objectViewer", WORKLOAD, **PROJECT),
        member("projects", "roles/logging.logWriter", WORKLOAD, **PROJECT),
        binding("projects", "roles/dataproc.worker", [WORKLOAD], **PROJECT),
        policy("projects", {"roles/viewer": [EVE]}, PROJECT),
    ]
    for rule_id in ("GSF040", "GSF041", "GSF042"):
        assert found(rule_id, entries, deployers=[DEPLOYER]) == []


def test_without_a_google_trust_broad_grants_are_not_this_packs_business() -> None:
    plain_role = _entry("aws:iam/role:Role", "lambda", {"assumeRolePolicy": json.dumps({"Statement": []})})
    assert found("GSF040", [plain_role, *BROAD_GRANTS]) == []
    assert found("GSF041", [plain_role, member("serviceaccount", "roles/owner", EVE, **ON_SA)]) == []


def test_a_trust_unknown_at_preview_counts_as_google() -> None:
    pending = _entry("aws:iam/role:Role", "pending", {"assumeRolePolicy": UNKNOWN})
    grant = member("projects", "roles/editor", EVE, **PROJECT)
    [(_, message)] = found("GSF040", [pending, grant])
    assert "pending" in message


def test_a_benign_role_never_reads_a_member_unknown_at_preview() -> None:
    pending_member = member("projects", "roles/dataproc.worker", UNKNOWN, **PROJECT)
    assert found("GSF040", [google_role(), pending_member]) == []


SA_GRANTS = [
    member("serviceaccount", "roles/iam.serviceAccountTokenCreator", EVE, **ON_SA),
    member("serviceaccount", "roles/iam.serviceAccountTokenCreator", DEPLOYER, **ON_SA),  # deployer, wrong role
    member("serviceaccount", "roles/iam.workloadIdentityUser", EVE, **ON_SA),
    binding("serviceaccount", "roles/iam.serviceAccountUser", [DEPLOYER, EVE], **ON_SA),
    binding("serviceaccount", "roles/owner", [EVE], **ON_SA),
    policy("serviceaccount", {"roles/iam.serviceAccountUser": [DEPLOYER], "roles/editor": [EVE]}, ON_SA),
    policy("serviceaccount", {"roles/iam.serviceAccountOpenIdTokenCreator": [EVE]}, ON_SA, as_string=False),
]


@pytest.mark.parametrize("grant", SA_GRANTS, ids=lambda e: e["name"])
def test_service_account_grants_beyond_the_declared_members(grant: dict[str, Any]) -> None:
    [(urn, message)] = found("GSF041", [google_role(), ACCOUNT_WITH_ID, grant], deployers=[DEPLOYER])
    assert urn == grant["urn"]
    assert f"on service account {EMAIL}" in message
    assert message.endswith("AWS role gcpfed-dev-etl → its S3 prefixes")


def test_declared_deployers_and_token_creators_pass() -> None:
    entries = [
        google_role(),
        ACCOUNT_WITH_ID,
        policy(
            "serviceaccount",
            {"roles/iam.serviceAccountUser": [DEPLOYER], "roles/iam.serviceAccountOpenIdTokenCreator": [EVE]},
            ON_SA,
        ),
    ]
    assert found("GSF041", entries, deployers=[DEPLOYER], tokenCreators={EMAIL: [EVE]}) == []
    other_account = {"sched@acme-data-dev.iam.gserviceaccount.com": [EVE]}
    [(_, message)] = found("GSF041", entries, deployers=[DEPLOYER], tokenCreators=other_account)
    assert f"not a declared token creator of {EMAIL}" in message
    [(_, message)] = found("GSF041", entries, tokenCreators={EMAIL: [EVE]})  # no deployers declared
    assert f"{DEPLOYER} holds roles/iam.serviceAccountUser" in message and "not a declared deployer" in message


def test_accounts_no_role_trusts_are_skipped_once_ids_are_known() -> None:
    grant = member("serviceaccount", "roles/iam.serviceAccountTokenCreator", EVE, **ON_SA)
    assert found("GSF041", [google_role(sub="999999999999999999999"), ACCOUNT_WITH_ID, grant]) == []
    # before the unique id is known, the grant is judged
    assert len(found("GSF041", [google_role(sub="999999999999999999999"), ACCOUNT, grant])) == 1


@pytest.mark.parametrize("public", ["allUsers", "allAuthenticatedUsers"])
@pytest.mark.parametrize(
    "make",
    [
        lambda who: member("serviceaccount", "roles/iam.serviceAccountViewer", who, **ON_SA),
        lambda who: binding("serviceaccount", "roles/iam.serviceAccountUser", [DEPLOYER, who], **ON_SA),
        lambda who: policy("serviceaccount", {"roles/iam.serviceAccountTokenCreator": [who]}, ON_SA),
    ],
)
def test_public_members_on_any_service_account(public: str, make: Any) -> None:
    grant = make(public)
    [(urn, message)] = found("GSF042", [grant])  # no Google trust needed
    assert urn == grant["urn"] and public in message and EMAIL in message
    assert found("GSF041", [google_role(), grant], deployers=[DEPLOYER]) == []  # reported once, by GSF042


def test_token_minting_audit_is_advised() -> None:
    [(urn, message)] = found("GSF043", [google_role()])
    assert urn.endswith("::gcpfed-dev-etl") and "GenerateIdToken" in message
    audit = _entry(
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        "audit",
        {"service": "iam.googleapis.com", "auditLogConfigs": [{"logType": "ADMIN_READ"}], **PROJECT},
    )
    assert found("GSF043", [google_role(), audit]) == []
    data_write_only = _entry(
        "gcp:projects/iAMAuditConfig:IAMAuditConfig",
        "audit",
        {"service": "iam.googleapis.com", "auditLogConfigs": [{"logType": "DATA_WRITE"}], **PROJECT},
    )
    assert len(found("GSF043", [google_role(), data_write_only])) == 1
    assert RULE["GSF043"].level == "advisory"


# --- the real pack process over the Analyzer protocol ----------------------------------------------


def test_gate_flags_every_listed_grant_and_passes_benign_ones() -> None:
    bad = [google_role(), ACCOUNT_WITH_ID, *BROAD_GRANTS, *SA_GRANTS]
    bad.append(member("serviceaccount", "roles/iam.serviceAccountViewer", "allUsers", **ON_SA))
    result = run_gate(bad, config={"gsf041-stack-service-account-grants-declared": {"deployers": [DEPLOYER]}})
    by_policy: dict[str, set[str]] = {}
    for violation in result.violations:
        by_policy.setdefault(violation.policy, set()).add(violation.resource)
        if violation.policy.startswith(("gsf040", "gsf041", "gsf042")):
            assert violation.level == "mandatory"
    assert by_policy["gsf040-stack-no-broad-token-grants"] == {g["urn"] for g in BROAD_GRANTS}
    assert by_policy["gsf041-stack-service-account-grants-declared"] == {g["urn"] for g in SA_GRANTS}
    assert len(by_policy["gsf042-service-account-not-public"]) == 1

    benign = [
        google_role(),
        ACCOUNT_WITH_ID,
        member("projects", "roles/storage.objectViewer", WORKLOAD, **PROJECT),
        member("projects", "roles/logging.logWriter", WORKLOAD, **PROJECT),
        policy("serviceaccount", {"roles/iam.serviceAccountUser": [DEPLOYER]}, ON_SA),
    ]
    passed = run_gate(benign, config={"gsf041-stack-service-account-grants-declared": {"deployers": [DEPLOYER]}})
    assert passed.mandatory == []
    undeclared = run_gate(benign)  # no declaration: the deployer's grant is not accepted
    assert {v.policy for v in undeclared.mandatory} == {"gsf041-stack-service-account-grants-declared"}
