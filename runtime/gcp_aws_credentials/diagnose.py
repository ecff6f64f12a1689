"""Turn STS refusals into the likely cause and the next step, with the token's non-secret claims."""

from __future__ import annotations

from typing import Any

from .claims import describe


class FederationError(RuntimeError):
    """STS refused the exchange; the message names the likely cause and never contains the token."""


def explain_sts_error(
    code: str,
    message: str,
    claims: dict[str, Any],
    role_arn: str,
    audience: str,
    session_name: str | None,
) -> str:
    """A multi-line explanation: what STS said, the likely causes for this token, the claims."""
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
    lines = [f"STS refused AssumeRoleWithWebIdentity for {role_arn}: {code}: {message}", "Likely cause:"]
    lines += [f"  - {cause}" for cause in causes or ["unrecognised refusal; compare the claims with the trust policy"]]
    lines.append(f"Token claims: {describe(claims)}" if claims else "Token claims: <not a JWT>")
    return "\n".join(lines)
