"""Reading a Google ID token's non-secret claims for diagnostics. Never returns the token itself."""

from __future__ import annotations

import base64
import json
from typing import Any

SHOWN_CLAIMS = ("aud", "azp", "sub", "email", "exp")
SA_EMAIL_DOMAIN = ".iam.gserviceaccount.com"


def decode_claims(token: str) -> dict[str, Any]:
    """The JWT payload, unverified (STS verifies the signature); {} when it is not a JWT."""
    try:
        payload = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def describe(claims: dict[str, Any]) -> str:
    """`aud=… azp=… sub=… email=… exp=…`: what support needs, and nothing that grants access."""
    return " ".join(f"{name}={claims.get(name, '<missing>')}" for name in SHOWN_CLAIMS)


def session_name_from_email(email: str) -> str:
    """The role session name the trust pins: the SA email without `.iam.gserviceaccount.com`.

    `etl@acme-data.iam.gserviceaccount.com` -> `etl@acme-data` (at most 61 chars of [a-z0-9@-]).
    """
    if not email.endswith(SA_EMAIL_DOMAIN):
        raise ValueError(f"{email!r} is not a service account email; pass the session name explicitly")
    return email.removesuffix(SA_EMAIL_DOMAIN)
