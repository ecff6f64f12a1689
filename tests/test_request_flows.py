"""Every documented client flow works on every grant of the dev and prod stacks, and nothing beside a grant.

Each flow is the list of HTTP requests a real client sends (gcp_aws_credentials/traces: boto3 and the AWS CLI captured
against moto, Hadoop S3A written from its source). Every request is evaluated the way S3 does it: its
own IAM action, resource and condition keys against the role's identity policies and the bucket policy,
plus the KMS calls S3 makes for the caller against the identity policies and the key policy
(gcp_aws_credentials.s3_authz / authorize).

- On a grant, every request the client needs must be allowed (requests a client is documented to
  tolerate failing, such as S3A's parent-directory probes, may go either way). S3A flows run on a
  directory below the grant (`s3a://bucket/<prefix>table`), the documented way to point Spark at a
  grant; on the grant's own directory see `test_s3a_on_the_grant_directory_itself`.
- Beside a grant (a sibling prefix such as `curated/daily-x/`, another workload's prefix, another bucket,
  the bucket root) the flow must fail, and no request that reaches outside the role's grants may be
  allowed, tolerated or not.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gcp_aws_credentials.authorize import CheckResult, RequestResult
from gcp_aws_credentials.flows import ACCESS_MODES, Flow, PlannedRole, all_flows
from tests.flows import role_views
from tools.mock_cloud import run_program, stack_config

STACKS = ("dev", "prod")
FLOWS = all_flows()


@pytest.fixture(scope="module", params=STACKS)
def roles(request: pytest.FixtureRequest) -> list[PlannedRole]:
    return role_views(run_program(request.param, stack_config(request.param)))


def _denial_report(result: RequestResult) -> str:
    return "; ".join(d.describe() for d in result.denials)


S3A_TABLE = "table/"


def _granted_placements(role: PlannedRole) -> Iterator[tuple[str, str, Flow]]:
    for bucket, prefix, access in role.grants:
        for flow in FLOWS:
            if flow.needs <= ACCESS_MODES[access]:
                yield bucket, prefix + S3A_TABLE if flow.client == "s3a" else prefix, flow


def _covered(role: PlannedRole, bucket: str, key: str) -> bool:
    """Independent oracle: is `key` (an object key or a list prefix) inside one of the role's grants?"""
    return any(b == bucket and (key.startswith(p) or key == p.rstrip("/")) for b, p, _ in role.grants)


def foreign_placements(roles: list[PlannedRole], role: PlannedRole) -> set[tuple[str, str]]:
    """Sibling prefixes, other workloads' prefixes, the role's prefixes in other buckets (one that is not
    in the stack included), and every bucket root: all not covered by the role's own grants."""
    buckets = {b for r in roles for b, _, _ in r.grants} | {"foreign-bucket-not-in-stack"}
    prefixes = {p for r in roles for _, p, _ in r.grants} | {f"{p.rstrip('/')}-x/" for _, p, _ in role.grants}
    placements = {(b, p) for b in buckets for p in prefixes} | {(b, "") for b in buckets}
    return {(b, p) for b, p in placements if not (p and _covered(role, b, p))}


def test_every_flow_works_on_every_grant(roles: list[PlannedRole]) -> None:
    failures = []
    checked = 0
    for role in roles:
        for bucket, prefix, flow in _granted_placements(role):
            checked += 1
            for step, result in role.run(flow, bucket, prefix):
                if step.tolerated is None and not result.allowed:
                    failures.append(
                        f"{role.workload} {flow.title} on s3://{bucket}/{prefix}: {result.request.describe()} "
                        f"[{step.source or flow.description}] DENIED: {_denial_report(result)}"
                    )
                    break
    assert checked > 80, f"only {checked} granted flow placements: traces or grants went missing"
    assert not failures, f"{len(failures)} granted flows fail:\n" + "\n".join(failures)


def test_every_flow_beside_a_grant_is_denied(roles: list[PlannedRole]) -> None:
    failures = []
    checked = 0
    for role in roles:
        for bucket, prefix in sorted(foreign_placements(roles, role)):
            for flow in FLOWS:
                ran = role.run(flow, bucket, prefix)
                if not ran:
                    continue
                checked += 1
                where = f"{role.workload} {flow.title} on s3://{bucket}/{prefix}"
                if all(result.allowed for step, result in ran if step.tolerated is None):
                    failures.append(f"{where}: the whole flow is allowed")
                for _, result in ran:
                    for check in result.results:
                        if check.allowed and check.check.service == "s3" and not _reaches_inside(role, check):
                            failures.append(f"{where}: {result.request.describe()} ALLOWED {check.describe()}")
    assert checked > 500, f"only {checked} foreign flow placements"
    assert not failures, f"{len(failures)} leaks:\n" + "\n".join(failures[:40])


def _reaches_inside(role: PlannedRole, result: CheckResult) -> bool:
    check = result.check
    resource = check.resource.removeprefix("arn:aws:s3:::")
    bucket, _, key = resource.partition("/")
    if key:
        return _covered(role, bucket, key)
    prefix = check.context.get("s3:prefix")
    return check.action == "s3:ListBucket" and prefix is not None and _covered(role, bucket, prefix[0])


@pytest.mark.parametrize("stack", STACKS)
def test_foreign_placements_cover_each_kind(stack: str) -> None:
    """Guard for the test above: siblings, other workloads' prefixes, other buckets and roots are all there."""
    roles = role_views(run_program(stack, stack_config(stack)))
    etl = next(r for r in roles if r.workload == "nightly-etl")
    placements = foreign_placements(roles, etl)
    lake = f"acme-{stack}-lake"
    assert (lake, "curated/daily-x/") in placements
    assert (lake, "") in placements
    assert ("foreign-bucket-not-in-stack", "curated/daily/") in placements
    assert (lake, "curated/daily/") not in placements
    ingest = next(r for r in roles if r.workload == "ingest-api")
    assert (lake, "curated/daily/") in foreign_placements(roles, ingest)


def _s3a_denials_on_the_grant_directory(role: PlannedRole) -> Iterator[tuple[Flow, str, str, RequestResult]]:
    """Every needed S3A request that is denied when S3A is pointed at a grant's own directory."""
    for bucket, prefix, access in role.grants:
        for flow in (f for f in FLOWS if f.client == "s3a" and f.needs <= ACCESS_MODES[access]):
            for step, result in role.run(flow, bucket, prefix):
                if step.tolerated is None and not result.allowed:
                    yield flow, bucket, prefix, result


def test_s3a_on_the_grant_directory_itself(roles: list[PlannedRole]) -> None:
    """S3A pointed at the grant's own directory (`s3a://bucket/curated/daily`) HEADs the key `curated/daily`.
    That key does not exist, and S3 answers 404 only when the caller may list with `s3:prefix` =
    `curated/daily` (see s3_authz), which also lists sibling names such as `curated/daily-x/`. Unless the
    grants allow that listing, the only failure allowed here is that 403, nothing else."""
    unexpected = [
        f"{role.workload} {flow.title} on {bucket}/{prefix}: {_denial_report(result)}"
        for role in roles
        for flow, bucket, prefix, result in _s3a_denials_on_the_grant_directory(role)
        if not all(
            d.check.purpose == "not-found" and d.check.context["s3:prefix"] == [prefix.rstrip("/")]
            for d in result.denials
        )
    ]
    assert not unexpected, "\n".join(unexpected)


def test_s3a_on_the_grant_directory_itself_works_for_spark_workloads(roles: list[PlannedRole]) -> None:
    """Dataproc workloads get `list_exact_prefix` by default, so S3A may use `s3a://bucket/<prefix>` itself."""
    spark = [r for r in roles if r.workload == "nightly-etl"]
    assert spark, "the stacks declare the nightly-etl dataproc workload"
    failures = [
        f"{flow.title} on {bucket}/{prefix}: {_denial_report(result)}"
        for role in spark
        for flow, bucket, prefix, result in _s3a_denials_on_the_grant_directory(role)
    ]
    assert not failures, "\n".join(failures)
