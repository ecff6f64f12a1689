"""Who may act as a workload's service account: IAM member rules and the SA's authoritative policy.

Pure functions (plain data in, dict out), testable without Pulumi. Anyone who can make Google mint an
ID token for the service account can assume its AWS role: holders of `iam.serviceAccounts.actAs`
(roles/iam.serviceAccountUser) deploy compute that runs as it, holders of
`iam.serviceAccounts.getOpenIdToken` (the token-creator roles) ask for tokens directly (Google Cloud IAM
docs: "Service account impersonation", "IAM roles for service accounts").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .fields import check_iam_member

SERVICE_ACCOUNT_USER = "roles/iam.serviceAccountUser"
OPENID_TOKEN_CREATOR = "roles/iam.serviceAccountOpenIdTokenCreator"
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"
TOKEN_CREATOR_ROLES = (OPENID_TOKEN_CREATOR, TOKEN_CREATOR)
"""Roles a workload may name for a token creator; the OpenID one mints ID tokens only."""


def service_account_email(account_id: str, project: str) -> str:
    return f"{account_id}@{project}.iam.gserviceaccount.com"


def service_account_policy(deployers: Iterable[str], token_creators: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The whole IAM policy of one workload service account (authoritative: nothing else survives).

    `deployers` get roles/iam.serviceAccountUser (deploy Cloud Run revisions or Dataproc clusters that
    run as the account); each token creator `{"member", "role"}` gets its named token-creator role.
    Members are sorted and deduplicated, so the rendered policy is stable across runs.
    """
    members_by_role: dict[str, set[str]] = {}
    for member in deployers:
        members_by_role.setdefault(SERVICE_ACCOUNT_USER, set()).add(check_iam_member(member))
    for creator in token_creators:
        role = str(creator.get("role", OPENID_TOKEN_CREATOR))
        if role not in TOKEN_CREATOR_ROLES:
            raise ValueError(f"token creator role must be one of {', '.join(TOKEN_CREATOR_ROLES)}, got {role!r}")
        members_by_role.setdefault(role, set()).add(check_iam_member(str(creator["member"])))
    return {
        "bindings": [{"role": role, "members": sorted(members)} for role, members in sorted(members_by_role.items())]
    }
