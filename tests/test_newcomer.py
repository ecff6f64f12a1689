"""A newcomer's first hour: honest exit codes, one clear line per problem, no silent surprises."""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gcp_s3_federation.config import ConfigError, load_config
from tools import plan
from tools.mock_cloud import REPO_ROOT

EXAMPLES = sorted(p for p in (REPO_ROOT / "examples").iterdir() if (p / "Pulumi.yaml").is_file())


def _problems(raw: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    return caught.value.problems


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the project's program with the dev stack file, to break in each test."""
    shutil.copy(REPO_ROOT / "__main__.py", tmp_path)
    shutil.copy(REPO_ROOT / "Pulumi.dev.yaml", tmp_path / "Pulumi.ok.yaml")
    return tmp_path


def _stack(root: Path, text: str) -> list[str]:
    (root / "Pulumi.broken.yaml").write_text(text)
    return ["--stack", "broken", "--root", str(root), "--no-gate"]


DEV = (REPO_ROOT / "Pulumi.dev.yaml").read_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            DEV.replace("    environment: dev\n", "    environment: dev\n   oops: [\n"),
            "line 4, column 4: YAML syntax error",
        ),
        (
            DEV.replace("    environment: dev\n", "    environment: dev\n    environment: prod\n"),
            "duplicate key 'environment'",
        ),
        (
            DEV.replace(
                '      account_id: "111122223333"\n      region: eu-west-1', '      - account_id: "111122223333"'
            ),
            "aws: Input should be a valid dictionary",
        ),
        (DEV.replace('account_id: "111122223333"', "account_id: 011122223333"), "quote it"),
        ("config: [1, 2]\n", "'config' must be a mapping"),
    ],
    ids=["yaml-syntax", "duplicate-key", "list-for-a-map", "unquoted-id", "config-shape"],
)
def test_bad_stack_files_exit_2_with_one_clear_line(
    root: Path, text: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert plan.main(_stack(root, text)) == plan.EXIT_CONFIG
    err = capsys.readouterr().err
    assert expected in err, err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1


def test_exit_codes_ok_violation_internal(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert plan.main(["--stack", "ok", "--root", str(root), "--no-gate"]) == plan.EXIT_OK

    def broken(argv: list[str] | None = None) -> int:
        raise RuntimeError("a bug in the plan")

    monkeypatch.setattr(plan, "main", broken)
    assert plan.run_cli() == plan.EXIT_INTERNAL


def test_unquoted_account_id_gets_the_quote_it_hint(dev_federation: dict[str, Any]) -> None:
    dev_federation["aws"]["account_id"] = yaml.safe_load("id: 11122223333")["id"]
    (problem,) = _problems(dev_federation)
    assert problem.startswith("aws.account_id: must be a string, but YAML read the number 11122223333: quote it")


def test_revocation_instant_out_of_range_is_a_config_error(dev_federation: dict[str, Any]) -> None:
    dev_federation["workloads"][2]["revoke_sessions_issued_before"] = "0001-01-01T00:00:00+01:00"
    assert _problems(dev_federation) == [
        "workloads[2].revoke_sessions_issued_before: is out of range: give a real instant such as 2026-11-23T10:00:00Z"
    ]


def test_an_invalid_grant_is_one_line(dev_federation: dict[str, Any]) -> None:
    dev_federation["workloads"][2]["grants"][0]["prefix"] = "curated"
    assert _problems(dev_federation) == [
        "workloads[2].grants[0].prefix: must end with '/' so that 'raw/' never matches 'raw2/'"
    ]


def _adopted(federation: dict[str, Any], key_arn: str) -> dict[str, Any]:
    federation = copy.deepcopy(federation)
    federation["buckets"].append({"name": "acme-dev-shared", "mode": "adopt", "kms_key_arn": key_arn})
    return federation


@pytest.mark.parametrize(
    ("key_arn", "rule"),
    [
        (
            "arn:aws:kms:eu-west-1:999988887777:key/0f0e0d0c-0b0a-4909-8807-060504030201",
            "belongs to account 999988887777, but the stack's account is 111122223333",
        ),
        (
            "arn:aws:kms:us-east-1:111122223333:key/0f0e0d0c-0b0a-4909-8807-060504030201",
            "is in aws/us-east-1, but the buckets are in aws/eu-west-1",
        ),
    ],
)
def test_adopted_key_must_match_the_stack(dev_federation: dict[str, Any], key_arn: str, rule: str) -> None:
    assert _problems(_adopted(dev_federation, key_arn)) == [f"buckets[1].kms_key_arn: {rule}"]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("gcp", "region"), "garbage", "gcp.region: must be a GCP region name"),
        (("workloads", 0, "cloud_run", "image"), "", "workloads[0].cloud_run.image: must be a container image"),
    ],
)
def test_cross_checks_gcp_region_and_image(
    dev_federation: dict[str, Any], path: tuple[Any, ...], value: str, expected: str
) -> None:
    target: Any = dev_federation
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert any(p.startswith(expected) for p in _problems(dev_federation))


def test_runtime_cli_is_installed_with_the_plan_dependencies() -> None:
    assert (Path(sys.executable).parent / "gcp-aws-credentials").is_file()
    assert "-e ./runtime" in (REPO_ROOT / "requirements.txt").read_text().splitlines()
    assert "runtime/pyproject.toml" in (REPO_ROOT / "Makefile").read_text()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_every_example_plans_offline(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert plan.main(["--example", str(example), "--stack", "example"]) == plan.EXIT_OK
    out = capsys.readouterr().out
    assert "gcp-s3-federation:index:FederatedWorkload" not in out or "aws:iam/role:Role" in out
    assert "aws:iam/role:Role" in out
