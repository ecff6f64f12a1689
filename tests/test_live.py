"""Opt-in checks against real clouds through the Pulumi CLI. Skipped unless explicitly enabled.

Enable with GCP_S3_FEDERATION_LIVE_STACK=<stack> on a machine with the Pulumi CLI, a logged-in backend,
and AWS and GCP credentials for that stack. Nothing here runs in `make test` by default.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.mock_cloud import REPO_ROOT

STACK = os.environ.get("GCP_S3_FEDERATION_LIVE_STACK")

pytestmark = [
    pytest.mark.skipif(STACK is None, reason="live clouds are opt-in: set GCP_S3_FEDERATION_LIVE_STACK=<stack>"),
    pytest.mark.skipif(shutil.which("pulumi") is None, reason="the Pulumi CLI is not installed"),
]


def test_preview_with_policy_pack_passes(tmp_path: Path) -> None:
    declared = tmp_path / "policy-config.json"  # who may act as the workload service accounts (GSF041)
    with declared.open("w") as out:
        subprocess.run([sys.executable, "-m", "tools.policy_config", str(STACK)], cwd=REPO_ROOT, stdout=out, check=True)
    result = subprocess.run(
        [
            "pulumi",
            "preview",
            "--stack",
            str(STACK),
            "--policy-pack",
            "policies",
            "--policy-pack-config",
            str(declared),
            "--non-interactive",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]  # a mandatory violation fails it
