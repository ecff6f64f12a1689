"""The whole stack for one environment, from a validated `FederationConfig`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from .args import (
    CloudRunOptions,
    DataprocOptions,
    FederatedWorkloadArgs,
    GcpTrustGuardArgs,
    GoogleOidcProviderArgs,
    SecureBucketArgs,
    TokenCreatorArgs,
)
from .audit import AuditTrail
from .documents import GOOGLE_PROVIDER
from .gcp_project import GcpTrustGuard
from .models import FederationConfig, WorkloadConfig
from .naming import aws_tags
from .oidc_provider import GoogleOidcProvider
from .secure_bucket import SecureBucket
from .workload import FederatedWorkload


def build_stack(config: FederationConfig) -> dict[str, Any]:
    """Declare every resource and return the stack outputs (already validated config only)."""
    aws_provider = aws.Provider("aws", region=config.aws.region, allowed_account_ids=[config.aws.account_id])
    gcp_provider = gcp.Provider("gcp", project=config.gcp.project, region=config.gcp.region)
    on_aws = pulumi.ResourceOptions(provider=aws_provider)

    buckets: dict[str, SecureBucket] = {}
    for bucket_spec in config.buckets:
        bucket_args = SecureBucketArgs(
            bucket=bucket_spec.name,
            account_id=config.aws.account_id,
            region=config.aws.region,
            role_path=config.role_path,
            manage_bucket_policy=bucket_spec.writes_bucket_policy,
            abort_incomplete_uploads_after_days=bucket_spec.abort_incomplete_uploads_after_days,
            admin_principal_arns=list(config.admin_principal_arns),
            tags=aws_tags(config.environment),
        )
        if bucket_spec.kms_key_arn:
            bucket_args["existing_kms_key_arn"] = bucket_spec.kms_key_arn
        buckets[bucket_spec.name] = SecureBucket(bucket_spec.name, bucket_args, opts=on_aws)

    provider_mode = config.trust.mode == "oidc-provider"
    principal: pulumi.Input[str] = GOOGLE_PROVIDER  # a plain value: no Output to resolve per workload
    resolve_principal: Callable[[pulumi.Output[str]], None] | None = None
    if provider_mode:
        principal, resolve_principal = pulumi.deferred_output()

    guard_args: GcpTrustGuardArgs = {
        "project": config.gcp.project,
        "audit_token_minting": config.gcp.audit_token_minting,
    }
    if config.gcp.key_creation_constraints:
        guard_args["key_creation_constraints"] = list(config.gcp.key_creation_constraints)
    guard = GcpTrustGuard("gcp-trust", guard_args, opts=pulumi.ResourceOptions(provider=gcp_provider))

    workloads: dict[str, FederatedWorkload] = {}
    for spec in config.workloads:
        workloads[spec.name] = FederatedWorkload(
            spec.name,
            workload_args(config, spec, principal, {name: b.kms_key_arn for name, b in buckets.items()}),
            opts=pulumi.ResourceOptions(providers={"aws": aws_provider, "gcp": gcp_provider}),
        )

    outputs: dict[str, Any] = {
        "environment": config.environment,
        "audience": config.audience,
        "role_path": config.role_path,
        "trust_mode": config.trust.mode,
        "buckets": {
            name: {"bucket_arn": b.bucket_arn, "kms_key_arn": b.kms_key_arn, "bucket_policy": b.bucket_policy}
            for name, b in buckets.items()
        },
        "workloads": {
            spec.name: {
                "kind": spec.kind,
                "role_arn": workloads[spec.name].role_arn,
                "service_account_email": workloads[spec.name].service_account_email,
                "service_account_iam_policy": workloads[spec.name].service_account_iam_policy,
                "audience": config.audience,
                "grants": [{**g.model_dump(), "list_exact_prefix": spec.lists_exact_prefix(g)} for g in spec.grants],
                "environment_variables": workloads[spec.name].environment_variables,
                "compute": workloads[spec.name].compute,
            }
            for spec in config.workloads
        },
    }
    outputs["gcp_trust"] = {
        "deployers": list(config.gcp.deployers),
        "audited_service": guard.audited_service,
        "key_creation_policies": guard.key_creation_policies,
    }
    if config.audit.cloudtrail:
        trail = AuditTrail(
            "audit",
            {
                "trail_name": config.trail_name,
                "log_bucket": config.audit_log_bucket,
                "account_id": config.aws.account_id,
                "region": config.aws.region,
                "data_buckets": [b.name for b in config.buckets],
                "retention_days": config.audit.retention_days,
                "tags": aws_tags(config.environment),
            },
            opts=on_aws,
        )
        outputs["audit"] = {"trail_arn": trail.trail_arn, "log_bucket": trail.log_bucket}
    if resolve_principal is not None:
        oidc_args = GoogleOidcProviderArgs(
            client_ids=pulumi.Output.all(config.audience, *[w.service_account_unique_id for w in workloads.values()]),
            tags={"environment": config.environment},
        )
        if config.trust.oidc_provider_arn:
            oidc_args["existing_arn"] = config.trust.oidc_provider_arn
        oidc = GoogleOidcProvider("google", oidc_args, opts=on_aws)
        resolve_principal(oidc.arn)
        outputs["oidc_provider"] = {"arn": oidc.arn, "required_client_ids": oidc.required_client_ids}
    return outputs


def workload_args(
    config: FederationConfig,
    spec: WorkloadConfig,
    principal: pulumi.Input[str],
    key_arns: Mapping[str, pulumi.Input[str]],
) -> FederatedWorkloadArgs:
    """The component arguments for one validated workload entry."""
    args: FederatedWorkloadArgs = {
        "kind": spec.kind,
        "service_account_id": spec.account_id,
        "gcp_project": config.gcp.project,
        "environment": config.environment,
        "aws_region": config.aws.region,
        "principal": principal,
        "audience": config.audience,
        "grants": [
            {
                "bucket": g.bucket,
                "prefix": g.prefix,
                "access": g.access,
                "kms_key_arn": key_arns[g.bucket],
                "list_exact_prefix": spec.lists_exact_prefix(g),
            }
            for g in spec.grants
        ],
        "role_path": config.role_path,
        "max_session_duration": config.sessions.max_duration_seconds,
        "default_session_duration": config.sessions.default_duration_seconds,
        "gcp_region": config.gcp.region,
        "trust_suspended": spec.trust_suspended,
        "deployers": list(config.gcp.deployers),
        "token_creators": [
            TokenCreatorArgs(member=t.member, role=t.role, reason=t.reason) for t in spec.token_creators
        ],
        "adopt_service_account": spec.adopt_service_account,
    }
    if config.permissions_boundary_arn:
        args["permissions_boundary_arn"] = config.permissions_boundary_arn
    if spec.revoke_sessions_issued_before:
        args["sessions_issued_before"] = spec.revoke_sessions_issued_before.strftime("%Y-%m-%dT%H:%M:%SZ")
    if spec.cloud_run:
        args["cloud_run"] = cast(CloudRunOptions, spec.cloud_run.model_dump())
    if spec.dataproc:
        options = {k: v for k, v in spec.dataproc.model_dump().items() if v is not None}
        args["dataproc"] = cast(DataprocOptions, options)
    return args
