"""`make diff`: effective access between two real `make plan` reports, and a stack export of the base."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gcp_aws_credentials.state import load_state
from tools import diff as diff_tool
from tools.diff import NO_CHANGES, AccessDiff, access_diff, markdown
from tools.mock_cloud import CONFIG_KEY, PlanResult, run_program, stack_config
from tools.plan import report
from tools.stack_export import stack_export

BUCKET = "acme-dev-lake"
ROLE = "arn:aws:iam::111122223333:role/gcp-federation/dev/gcpfed-dev-{}"


def plan(change: Callable[[dict[str, Any]], None] | None = None) -> PlanResult:
    """The dev stack planned in-process under the mocks, after `change` to its federation value."""
    config = copy.deepcopy(stack_config("dev"))
    if change is not None:
        change(config[CONFIG_KEY])
    return run_program("dev", config)


def state_of(result: PlanResult, as_export: bool = False) -> Any:
    """The JSON `make plan REPORT=...` writes (or the stack's export), read back as the diff reads it."""
    data = stack_export(result) if as_export else report(result)
    return load_state(json.dumps(data))


@pytest.fixture(scope="module")
def base() -> PlanResult:
    return plan()


def compare(base: PlanResult, change: Callable[[dict[str, Any]], None]) -> AccessDiff:
    return access_diff(state_of(base), state_of(plan(change)))


def rows(diff_rows: list[Any], workload: str) -> set[tuple[str, str]]:
    return {(r.prefix, r.access) for r in diff_rows if r.workload == workload}


def workload(federation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(w for w in federation["workloads"] if w["name"] == name)


def test_plan_against_itself_has_no_changes(base: PlanResult, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(report(base)))
    assert markdown(access_diff(state_of(base), state_of(base))) == NO_CHANGES
    assert diff_tool.main(["--base", str(path), "--head", str(path), "--json", str(tmp_path / "d.json")]) == 0
    assert json.loads((tmp_path / "d.json").read_text())["changed"] is False


def test_added_grant_is_access_added(base: PlanResult) -> None:
    def add(federation: dict[str, Any]) -> None:
        workload(federation, "reporting")["grants"].append(
            {"bucket": BUCKET, "prefix": "raw/events/", "access": "read"}
        )

    diff = compare(base, add)
    assert {("raw/events/*", "read"), ("raw/events/*", "list")} <= rows(diff.added, "reporting")
    assert {access for _, access in rows(diff.added, "reporting")} == {"read", "list"}
    assert all(r.role == ROLE.format("reporting") and r.bucket == BUCKET for r in diff.added)
    assert "reporting@acme-data-dev.iam.gserviceaccount.com (" in diff.added[0].principal
    assert not diff.removed and not diff.trust and not diff.guardrails
    text = markdown(diff)
    assert "### Access added" in text and "### Access removed" not in text
    assert "| reporting | reporting@acme-data-dev.iam.gserviceaccount.com (" in text
    assert f"| {BUCKET} | `raw/events/*` | read |" in text


def test_dropped_grant_is_access_removed(base: PlanResult) -> None:
    def drop(federation: dict[str, Any]) -> None:
        entry = workload(federation, "nightly-etl")
        entry["grants"] = [g for g in entry["grants"] if g["prefix"] != "curated/daily/"]

    diff = compare(base, drop)
    removed = rows(diff.removed, "nightly-etl")
    assert {("curated/daily/*", a) for a in ("read", "write", "delete", "list")} <= removed
    assert ("(bucket key)", "kms:GenerateDataKey") in removed  # it no longer writes anywhere
    assert ("(bucket key)", "kms:Decrypt") not in removed  # it still reads raw/events/
    assert not diff.added and not diff.trust
    assert "### Access removed" in markdown(diff)


def test_dropped_workload_loses_access_and_trust(base: PlanResult) -> None:
    def drop(federation: dict[str, Any]) -> None:
        federation["workloads"] = [w for w in federation["workloads"] if w["name"] != "reporting"]

    diff = compare(base, drop)
    assert rows(diff.removed, "reporting") >= {
        ("curated/*", "read"),
        ("curated/*", "list"),
        ("(bucket key)", "kms:Decrypt"),
    }
    assert {r.workload for r in diff.removed} == {"reporting"}
    assert [(t.workload, t.facet, t.before, t.after) for t in diff.trust] == [
        ("reporting", "role", ROLE.format("reporting"), "—")
    ]
    assert "### Trust changed" in markdown(diff)


def test_changed_audience_is_trust_changed_not_access(base: PlanResult) -> None:
    def audience(federation: dict[str, Any]) -> None:
        federation["trust"]["audience"] = "https://federation.acme.example/dev"

    diff = compare(base, audience)
    assert not diff.added and not diff.removed and not diff.guardrails
    changed = {(t.workload, t.facet): (t.before, t.after) for t in diff.trust}
    for name in ("ingest-api", "nightly-etl", "reporting"):
        assert changed[(name, "audience (oaud)")] == ("gcp-s3-federation-dev", "https://federation.acme.example/dev")
    assert {facet for _, facet in changed} == {"audience (oaud)"}


def test_loosened_bucket_policy_statement_is_a_guardrail_change(base: PlanResult) -> None:
    admin = "arn:aws:iam::111122223333:role/data-admin"

    def break_glass(federation: dict[str, Any]) -> None:
        federation["admin_principal_arns"] = [admin]

    diff = compare(base, break_glass)
    assert not diff.added and not diff.removed and not diff.trust
    by_statement = {(g.document, g.statement): g for g in diff.guardrails}
    fence = by_statement[(f"bucket policy of {BUCKET}", "DenyDataAccessOutsideFederationPath")]
    assert (fence.change, fence.effect) == ("changed", "loosens")
    assert f"GetObject by {admin}: deny -> none" in fence.probes
    key = by_statement[(f"key policy of {BUCKET}'s key", "FederatedRolesUseKeyThroughS3")]
    assert (key.change, key.effect) == ("changed", "loosens")
    assert f"Decrypt via S3 by {admin}: none -> allow" in key.probes
    listing = by_statement[(f"bucket policy of {BUCKET}", "DenyListingOutsideFederationPath")]
    assert (listing.change, listing.effect) == ("changed", "loosens")
    assert len(diff.guardrails) == 3
    assert "### Guardrails changed" in markdown(diff)


def test_removed_deny_statement_loosens_and_is_attributed(base: PlanResult) -> None:
    head = json.loads(json.dumps(report(base)))  # a copy: the plan's own inputs stay untouched
    policy = next(r for r in head["resources"] if r["type"] == "aws:s3/bucketPolicy:BucketPolicy")
    document = json.loads(policy["inputs"]["policy"])
    document["Statement"] = [s for s in document["Statement"] if s["Sid"] != "DenyInsecureTransport"]
    policy["inputs"]["policy"] = json.dumps(document)
    policy["outputs"]["policy"] = json.dumps(document)
    diff = access_diff(state_of(base), load_state(json.dumps(head)))
    assert [(g.statement, g.change, g.effect, g.probes) for g in diff.guardrails] == [
        ("DenyInsecureTransport", "removed", "loosens", ("GetObject over plain HTTP: deny -> none",))
    ]


def test_stack_export_of_the_base_diffs_exactly_like_the_base_report(base: PlanResult) -> None:
    def add(federation: dict[str, Any]) -> None:
        workload(federation, "ingest-api")["grants"].append({"bucket": BUCKET, "prefix": "curated/", "access": "read"})

    head = state_of(plan(add))
    from_report = access_diff(state_of(base), head)
    from_export = access_diff(state_of(base, as_export=True), head)
    assert from_report.changed
    assert from_export.as_json() == from_report.as_json()
    assert markdown(from_export) == markdown(from_report)
    assert markdown(access_diff(state_of(base, as_export=True), state_of(base))) == NO_CHANGES


def test_stack_export_has_engine_shaped_urns(base: PlanResult) -> None:
    export = stack_export(base)
    assert export["version"] == 3
    by_type = {r["type"]: r for r in export["deployment"]["resources"]}
    role = by_type["aws:iam/role:Role"]
    assert role["urn"].startswith(
        "urn:pulumi:dev::gcp-s3-federation::gcp-s3-federation:index:FederatedWorkload$aws:iam/role:Role::"
    )
    urns = {r["urn"] for r in export["deployment"]["resources"]}
    assert all(r.get("parent", "") in urns | {""} for r in export["deployment"]["resources"])
    assert all("pulumi:pulumi:Stack$" not in urn for urn in urns)
    assert role["provider"].startswith("urn:pulumi:dev::gcp-s3-federation::pulumi:providers:aws::aws::")


def test_unreadable_side_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 2, "deployment": {}}')
    assert diff_tool.main(["--base", str(bad), "--head", str(bad)]) == 2
    assert "stack export version 2 is not supported" in capsys.readouterr().err


def test_changes_exit_1_and_write_json(base: PlanResult, tmp_path: Path) -> None:
    def drop(federation: dict[str, Any]) -> None:
        federation["workloads"] = [w for w in federation["workloads"] if w["name"] != "ingest-api"]

    paths = {"base": tmp_path / "base.json", "head": tmp_path / "head.json"}
    paths["base"].write_text(json.dumps(report(base)))
    paths["head"].write_text(json.dumps(report(plan(drop))))
    out = tmp_path / "diff.json"
    assert diff_tool.main(["--base", str(paths["base"]), "--head", str(paths["head"]), "--json", str(out)]) == 1
    data = json.loads(out.read_text())
    assert data["changed"] is True
    assert {r["workload"] for r in data["access_removed"]} == {"ingest-api"}
    assert data["access_added"] == []


def test_a_change_that_only_breaks_multipart_uploads_is_a_removed_request_flow(base: PlanResult) -> None:
    """Writers need kms:Decrypt for the parts of an SSE-KMS multipart upload; a single PUT does not."""
    head = json.loads(json.dumps(report(base)))
    policy = next(
        r
        for r in head["resources"]
        if r["type"] == "aws:iam/rolePolicy:RolePolicy" and r["inputs"]["role"] == "gcpfed-dev-ingest-api"
    )
    document = json.loads(policy["inputs"]["policy"])
    encrypt = next(s for s in document["Statement"] if s["Sid"] == "EncryptThroughS3")
    encrypt["Action"] = ["kms:GenerateDataKey"]
    policy["inputs"]["policy"] = policy["outputs"]["policy"] = json.dumps(document)
    diff = access_diff(state_of(base), load_state(json.dumps(head)))
    assert rows(diff.removed, "ingest-api") == {
        ("raw/events/*", "write (multipart)"),
        ("raw/events/", "write (multipart)"),
        ("(bucket key)", "kms:Decrypt"),
    }
    assert not diff.added and not diff.trust and not diff.guardrails


def test_a_new_token_creator_is_a_trust_change_on_the_gcp_side(base: PlanResult) -> None:
    scheduler = "serviceAccount:scheduler@acme-data-dev.iam.gserviceaccount.com"

    def creator(federation: dict[str, Any]) -> None:
        workload(federation, "reporting")["token_creators"] = [
            {"member": scheduler, "reason": "nightly report trigger with an OIDC token"}
        ]

    diff = compare(base, creator)
    assert not diff.added and not diff.removed and not diff.guardrails
    [change] = diff.trust
    assert (change.workload, change.facet) == ("reporting", "GCP token minters")
    assert f"{scheduler} (roles/iam.serviceAccountOpenIdTokenCreator)" in change.after
    assert scheduler not in change.before and "roles/iam.serviceAccountUser" in change.before


def test_the_readme_example_is_what_the_diff_prints(base: PlanResult) -> None:
    def change(federation: dict[str, Any]) -> None:
        workload(federation, "reporting")["grants"].append(
            {"bucket": BUCKET, "prefix": "raw/events/", "access": "read"}
        )
        federation["admin_principal_arns"] = ["arn:aws:iam::111122223333:role/data-admin"]
        federation["trust"]["audience"] = "gcp-s3-federation-dev-2"

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    example = readme.split("```markdown\n", 1)[1].split("\n```", 1)[0]
    assert markdown(access_diff(state_of(base), state_of(plan(change))), "base.json", "head.json") == example
