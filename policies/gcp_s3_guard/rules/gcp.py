"""Google Cloud side (GSF011, GSF012, GSF014): keyless, dedicated service accounts and clean workload config."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import Resource, Rule
from .common import (
    AWS_KEY_ENV_NAMES,
    CLOUD_RUN_V2_JOB,
    CLOUD_RUN_V2_SERVICE,
    DATAPROC_CLUSTER,
    DEFAULT_COMPUTE_SA,
    S3A_SECRET_SUFFIXES,
    WORKLOAD_CONFIG_TYPES,
    check_no_resource,
    dig,
    walk,
)


def _secret_key_name(key: str) -> bool:
    name = key.rsplit(":", 1)[-1]  # cluster property prefixes such as spark-env:, core:
    upper = name.upper()
    return any(env in upper for env in AWS_KEY_ENV_NAMES) or ("fs.s3a." in name and name.endswith(S3A_SECRET_SUFFIXES))


def check_no_keys_in_workload_config(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for path, key, value in walk(resource.props):
        if isinstance(key, str) and _secret_key_name(key):
            yield f"{path} sets an AWS credential"
        elif key in ("name", "key") and isinstance(value, str) and value.upper() in AWS_KEY_ENV_NAMES:
            yield f"{path} = {value} puts an AWS credential in the environment (a secret reference still is one)"
        elif isinstance(value, str) and ("AWS_SECRET_ACCESS_KEY" in value or "fs.s3a.secret.key" in value):
            yield f"{path} mentions an AWS secret key (startup script or metadata)"


_SERVICE_ACCOUNT_PATHS = {
    CLOUD_RUN_V2_SERVICE: ("template", "serviceAccount"),
    CLOUD_RUN_V2_JOB: ("template", "template", "serviceAccount"),
    DATAPROC_CLUSTER: ("clusterConfig", "gceClusterConfig", "serviceAccount"),
}


def check_dedicated_service_account(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    path = _SERVICE_ACCOUNT_PATHS[resource.type]
    account = dig(resource.props, *path)
    where = ".".join(path)
    if not account:
        yield f"{where} is not set, so the workload runs as the project's default compute service account"
    elif DEFAULT_COMPUTE_SA.search(str(account)):
        yield f"{where} is the default service account {account}"


RULES: tuple[Rule, ...] = (
    Rule(
        "GSF011",
        "no-gcp-service-account-keys",
        "No gcp.serviceaccount.Key resources.",
        "Service-account keys are long-lived secrets and their tokens carry an email, not the uniqueId, in azp.",
        "Use the metadata server's identity token of the attached service account.",
        "mandatory",
        frozenset({"gcp:serviceaccount/key:Key"}),
        check_no_resource,
    ),
    Rule(
        "GSF012",
        "no-aws-keys-in-workload-config",
        "No AWS credentials in Cloud Run env, Dataproc properties, or instance/cluster metadata.",
        "Env vars, properties and metadata are readable by anyone with viewer access and end up in logs.",
        "Remove them; set AWS_ROLE_ARN and the audience, and let the runtime federate.",
        "mandatory",
        WORKLOAD_CONFIG_TYPES,
        check_no_keys_in_workload_config,
    ),
    Rule(
        "GSF014",
        "dedicated-service-account",
        "Cloud Run v2 services/jobs and Dataproc clusters run as a dedicated service account.",
        "The default compute SA is shared by everything in the project; AWS trusts an SA, so it must be one "
        "workload's (AWS Security Blog 2023-12-22).",
        "Set the service account to the workload's own (serviceAccount / gceClusterConfig.serviceAccount).",
        "mandatory",
        frozenset(_SERVICE_ACCOUNT_PATHS),
        check_dedicated_service_account,
    ),
)
