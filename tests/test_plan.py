"""`make plan` end to end: the real program under mocks, its report, and its refusal of bad config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tools import plan
from tools.mock_cloud import REPO_ROOT


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_writes_report_in_engine_shape(stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report_path = tmp_path / "report.json"
    assert plan.main(["--stack", stack, "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["stack"] == stack
    types = {r["type"] for r in report["resources"]}
    assert {"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "gcp:serviceaccount/account:Account"} <= types
    role = next(r for r in report["resources"] if r["type"] == "aws:iam/role:Role")
    assert set(role) == {"type", "name", "urn", "parent", "inputs", "outputs"}
    assert "assumeRolePolicy" in role["inputs"] and "maxSessionDuration" in role["inputs"]
    assert role["outputs"]["arn"].startswith("arn:aws:iam::") and role["parent"].endswith(f"::{role['name']}")
    assert role["urn"].startswith(f"urn:pulumi:{stack}::gcp-s3-federation::")
    assert set(report["outputs"]["workloads"]) == {w for w in report["outputs"]["workloads"]}
    printed = capsys.readouterr().out
    assert "trust policy of ingest-api" in printed and "chars (" in printed


def test_prod_adopted_bucket_keeps_its_owners_policy(tmp_path: Path) -> None:
    report_path = tmp_path / "r.json"
    assert plan.main(["--stack", "prod", "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    policies = [r["inputs"]["bucket"] for r in report["resources"] if r["type"] == "aws:s3/bucketPolicy:BucketPolicy"]
    assert sorted(policies) == ["acme-prod-lake", "gcp-federation-prod-audit-444455556666"]
    assert not any(
        r["inputs"].get("bucket") == "acme-prod-archive"
        for r in report["resources"]
        if r["type"] == "aws:s3/bucket:Bucket"
    )


def test_invalid_config_exits_nonzero_with_message_and_declares_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(REPO_ROOT / "__main__.py", tmp_path / "__main__.py")
    document = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    document["config"]["gcp-s3-federation:federation"]["workloads"][0]["grants"][0]["prefix"] = "raw"
    (tmp_path / "Pulumi.broken.yaml").write_text(yaml.safe_dump(document))
    report_path = tmp_path / "r.json"
    assert plan.main(["--stack", "broken", "--root", str(tmp_path), "--report", str(report_path)]) == 2
    err = capsys.readouterr().err
    assert "workloads[0].grants[0].prefix: must end with '/'" in err
    assert "Traceback" not in err
    assert not report_path.exists()
