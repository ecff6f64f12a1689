"""Names that AWS and Google both see, derived in one place."""

from __future__ import annotations

MANAGED_BY = "gcp-s3-federation"


def role_name(environment: str, workload: str) -> str:
    """IAM role name: unique per account (paths do not make names unique), at most 64 chars."""
    return f"gcpfed-{environment}-{workload}"


def session_name(account_id: str, project: str) -> str:
    """The role session name pinned in the trust policy: the SA email without its domain.

    `account_id` (6-30) + `@` + `project` (6-30) stays within STS's 2-64 chars of `[\\w+=,.@-]`, and
    CloudTrail then names the exact Google service account. The runtime package derives the same
    value from the token's `email` claim.
    """
    return f"{account_id}@{project}"


def aws_tags(environment: str, workload: str | None = None) -> dict[str, str]:
    tags = {"environment": environment, "managed-by": MANAGED_BY}
    if workload is not None:
        tags["workload"] = workload
    return tags


def gcp_labels(environment: str, workload: str) -> dict[str, str]:
    return {"environment": environment, "workload": workload, "managed-by": MANAGED_BY}
