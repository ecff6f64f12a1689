"""Turn STS refusals into a structured error: stable code, likely cause, next step, non-secret claims."""

from __future__ import annotations

from typing import Any

from .claims import describe
from .errors import FederationError

TRUST_FIX = "compare trust and token: gcp-aws-credentials explain trust --state <stack export> --workload <name>"
FIXES = {
    "sts-access-denied": TRUST_FIX,
    "sts-token-audience": "add the audience and the service account's unique id to the IAM OIDC provider's client IDs",
    "sts-invalid-token": "fetch a fresh token from the metadata server of the workload's attached service account",
    "sts-duration-too-long": "request at most the role's MaxSessionDuration (GCP_AWS_DURATION_SECONDS)",
    "sts-token-expired": "check the clock and fetch a fresh token",
    "sts-refused": TRUST_FIX,
}


def sts_error_code(code: str, message: str) -> str:
    """A stable code for what STS answered (its error code, refined where the code alone is ambiguous)."""
    if code == "AccessDenied":
        return "sts-access-denied"
    if code == "InvalidIdentityToken":
        return "sts-token-audience" if "audience" in message.lower() else "sts-invalid-token"
    if code == "ValidationError" and "duration" in message.lower():
        return "sts-duration-too-long"
    if code == "ExpiredTokenException":
        return "sts-token-expired"
    return "sts-refused"


def sts_refusal(
    code: str,
    message: str,
    claims: dict[str, Any],
    role_arn: str,
    audience: str,
    session_name: str | None,
) -> FederationError:
    """The error to raise: what STS said, the likely causes for this token, the claims; a code and a fix."""
    causes = _causes(code, message, claims, role_arn, audience, session_name)
    lines = [f"STS refused AssumeRoleWithWebIdentity for {role_arn}: {code}: {message}", "Likely cause:"]
    lines += [f"  - {cause}" for cause in causes]
    lines.append(f"Token claims: {describe(claims)}" if claims else "Token claims: <not a JWT>")
    stable = sts_error_code(code, message)
    return FederationError("\n".join(lines), code=stable, cause="; ".join(causes), fix=FIXES[stable])


def _causes(
    code: str, message: str, claims: dict[str, Any], role_arn: str, audience: str, session_name: str | None
) -> list[str]:
    causes: list[str] = []
    azp, sub, aud = claims.get("azp"), claims.get("sub"), claims.get("aud")
    if claims and azp is None:
        causes.append(
            "the token has no azp claim: it is a user token or was minted with a key; "
            "use the metadata server's token of the workload's attached service account"
        )
    elif azp is not None and azp != sub:
        causes.append(f"azp ({azp}) differs from sub ({sub}): not a service-account token from the metadata server")
    if aud is not None and aud != audience:
        causes.append(f"the token was minted for audience {aud!r}; request audience {audience!r}")
    if code == "InvalidIdentityToken":
        if "audience" in message.lower():
            causes.append(
                "in oidc-provider mode the IAM OIDC provider for accounts.google.com must list the audience "
                f"({aud or audience}) and the SA unique id ({azp or sub}) as client IDs; while that provider "
                "exists STS checks every Google token against it"
            )
        else:
            causes.append("the token is malformed, expired or not signed by Google; fetch a fresh one")
    elif code == "AccessDenied":
        causes.append(
            f"the trust of {role_arn} does not match this token: it must pin accounts.google.com:aud and :sub "
            f"to {azp or sub or '<SA uniqueId>'} and :oaud to {audience!r}"
            + (f", and sts:RoleSessionName to {session_name!r}" if session_name else "")
        )
        causes.append("or the role does not exist yet: run `pulumi up` for the stack that declares it")
    elif code == "ValidationError" and "duration" in message.lower():
        causes.append("DurationSeconds exceeds the role's MaxSessionDuration; request less (3600 by default)")
    elif code == "ExpiredTokenException":
        causes.append("the ID token expired before STS saw it; check the clock and fetch a fresh token")
    return causes or ["unrecognised refusal; compare the claims with the trust policy"]
