"""Who may act as this workload's service account: its IAM policy against the one the stack declares.

Anyone holding a role on the service account that lets them deploy as it or mint its tokens can assume
the workload's AWS role, so bindings beyond the declared ones (the stack output
`workloads.<name>.service_account_iam_policy`) are reported.

Online (on the workload) the policy is read with the workload's own access token from the metadata server
(`GET .../service-accounts/default/{email,token}`) and IAM's `serviceAccounts.getIamPolicy`, which needs
`iam.serviceAccounts.getIamPolicy` on the account (Google Cloud IAM REST reference,
projects.serviceAccounts.getIamPolicy). Offline it reads a `make plan` report or a `pulumi stack export`
(after `pulumi refresh`, whose outputs hold the policy as Google returned it).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

from .state import StackState

IAM_ENDPOINT_ENV = "GCP_AWS_IAM_ENDPOINT"
DEFAULT_IAM_ENDPOINT = "https://iam.googleapis.com"
ACCOUNT_PATH = "/computeMetadata/v1/instance/service-accounts/default"
SA_GRANT_TYPES = (
    "gcp:serviceaccount/iAMMember:IAMMember",
    "gcp:serviceaccount/iAMBinding:IAMBinding",
    "gcp:serviceaccount/iAMPolicy:IAMPolicy",
)
TIMEOUT_SECONDS = 5.0

Binding = tuple[str, str]  # (role, member)


class PolicyUnreadableError(RuntimeError):
    """The service account's IAM policy could not be read; the message says why and what to do instead."""


def bindings(policy: Any) -> set[Binding]:
    """(role, member) pairs of an IAM policy given as a dict or as its JSON text."""
    document = json.loads(policy) if isinstance(policy, str) else policy
    found: set[Binding] = set()
    for binding in (document or {}).get("bindings") or []:
        if isinstance(binding, Mapping):
            found |= {(str(binding.get("role")), str(m)) for m in binding.get("members") or []}
    return found


def beyond_declared(actual: Any, declared: Any) -> list[Binding]:
    """Bindings in `actual` that `declared` does not hold, sorted."""
    return sorted(bindings(actual) - bindings(declared))


def describe_bindings(extra: Iterable[Binding]) -> str:
    return ", ".join(f"{member} ({role})" for role, member in extra)


# --- online --------------------------------------------------------------------------------------


def _get(url: str, timeout: float) -> str:
    request = urllib.request.Request(url, headers={"Metadata-Flavor": "Google"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return str(response.read().decode())


def read_own_policy(
    metadata_host: str, iam_endpoint: str | None = None, timeout: float = TIMEOUT_SECONDS
) -> tuple[str, dict[str, Any]]:
    """(email, IAM policy) of the service account this code runs as. Raises PolicyUnreadableError."""
    endpoint = (iam_endpoint or os.environ.get(IAM_ENDPOINT_ENV) or DEFAULT_IAM_ENDPOINT).rstrip("/")
    try:
        email = _get(f"http://{metadata_host}{ACCOUNT_PATH}/email", timeout).strip()
        access_token = json.loads(_get(f"http://{metadata_host}{ACCOUNT_PATH}/token", timeout))["access_token"]
    except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError, KeyError) as error:
        raise PolicyUnreadableError(f"the metadata server gave no email or access token ({error})") from None
    url = f"{endpoint}/v1/projects/-/serviceAccounts/{urllib.parse.quote(email)}:getIamPolicy"
    request = urllib.request.Request(
        url,
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Bearer {access_token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return email, dict(json.loads(response.read().decode()))
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            raise PolicyUnreadableError(
                f"{email} may not read its own IAM policy (HTTP {error.code}; it needs "
                "iam.serviceAccounts.getIamPolicy on itself)"
            ) from None
        raise PolicyUnreadableError(f"IAM answered HTTP {error.code} for {email}'s policy") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as error:
        raise PolicyUnreadableError(f"IAM at {endpoint} is unreachable ({error})") from None


# --- offline -------------------------------------------------------------------------------------


def offline_findings(state: StackState, workload: str) -> list[str]:
    """What in a plan report or stack export lets someone beyond the declared members act as the
    workload's service account. Empty when the account's policy is exactly the declared one."""
    entry = (state.outputs.get("workloads") or {}).get(workload)
    if not isinstance(entry, Mapping):
        return [f"the {state.source} has no workload {workload!r} in its outputs"]
    email, declared = entry.get("service_account_email"), entry.get("service_account_iam_policy")
    if not declared:
        return [f"{workload}'s service account has no declared IAM policy (the stack predates authoritative IAM)"]
    targeting = [
        r
        for r in state.of_type(*SA_GRANT_TYPES)
        if str(r.inputs.get("serviceAccountId", "")).rsplit("/", 1)[-1] == email
    ]
    findings = []
    if not any(r.type.endswith(":IAMPolicy") for r in targeting):
        findings.append(f"no authoritative gcp.serviceaccount.IAMPolicy manages {email}")
    for resource in targeting:
        if resource.type.endswith(":IAMMember"):
            found = {(str(resource.inputs.get("role")), str(resource.inputs.get("member")))}
        elif resource.type.endswith(":IAMBinding"):
            found = {(str(resource.inputs.get("role")), str(m)) for m in resource.inputs.get("members") or []}
        else:  # a refreshed export's outputs hold the policy as Google returned it
            found = bindings(resource.inputs.get("policyData") or "{}") | bindings(
                resource.outputs.get("policyData") or "{}"
            )
        extra = sorted(found - bindings(declared))
        if extra:
            findings.append(
                f"{resource.type.rsplit(':', 1)[-1]} {resource.name!r} grants {describe_bindings(extra)} on {email}"
            )
    return findings
