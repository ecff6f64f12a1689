"""The CI workflow: no empty passphrase, and the PR's access diff planned offline and posted as a comment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "preview.yml"


def _workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(document, dict)
    return document


def _envs(node: Any) -> list[dict[str, Any]]:
    """Every `env:` mapping anywhere in the workflow."""
    if isinstance(node, dict):
        own = [node["env"]] if isinstance(node.get("env"), dict) else []
        return own + [e for value in node.values() for e in _envs(value)]
    if isinstance(node, list):
        return [e for value in node for e in _envs(value)]
    return []


def test_no_empty_config_passphrase() -> None:
    workflow = _workflow()
    assert all("PULUMI_CONFIG_PASSPHRASE" not in env for env in _envs(workflow))
    assert "PULUMI_CONFIG_PASSPHRASE=" not in WORKFLOW.read_text().replace(" ", "")


def test_pull_requests_get_the_access_diff_with_the_gate_summary() -> None:
    workflow = _workflow()
    triggers = workflow.get("on") or workflow.get(True)  # YAML 1.1 reads the key `on` as true
    assert isinstance(triggers, dict) and "pull_request" in triggers and "pull_request_target" not in triggers
    job = workflow["jobs"]["access-diff"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["permissions"] == {"contents": "read"}
    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert 'git worktree add --detach "$base" "$BASE_SHA"' in script
    assert 'python -m tools.plan --stack "$stack" --no-gate' in script  # the base, with its own venv
    assert '--report "head-$stack.json"' in script and '--summary "gate-$stack.md"' in script
    assert '-m tools.diff --base "base-$stack.json" --head "head-$stack.json"' in script
    assert 'cat "diff-$stack.md"; echo; cat "gate-$stack.md"' in script
    poster = workflow["jobs"]["access-diff-comment"]
    assert poster["needs"] == "access-diff" and poster["permissions"] == {"pull-requests": "write"}
    assert 'gh pr comment "$PR_NUMBER" --repo "$REPO" --edit-last --body-file comment.md' in poster["steps"][-1]["run"]
    assert all("secrets." not in str(step) for step in job["steps"])


def test_jobs_that_run_repository_code_hold_no_write_token() -> None:
    """Only the comment poster (which checks nothing out) may write; only `preview` mints OIDC tokens; no
    checkout leaves its token in .git/config."""
    workflow = _workflow()
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions", workflow["permissions"])
        checkouts = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")]
        assert all(s.get("with", {}).get("persist-credentials") is False for s in checkouts), name
        if checkouts:
            assert set(permissions.values()) <= {"read", "write"} and permissions.get("pull-requests") != "write", name
        assert ("id-token" in permissions) == (name == "preview"), name
