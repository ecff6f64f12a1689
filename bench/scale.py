"""Scale benchmark (issue 6): plan and gate time, memory, resources and document sizes per stack size.

    .venv/bin/python -m bench.scale [sizes...]      # default: 10 100 500 1000

Each size is a generated config (1-5 grants per workload on 1-3 buckets). The plan runs the real
`__main__.py` under mocks in a child process (wall time and peak RSS of that process); the gate sends
the planned resources to the policy pack over gRPC, as the CLI does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from gcp_s3_federation.config import load_config
from tools.gate import run_gate
from tools.generate import generate_config
from tools.mock_cloud import CONFIG_KEY, REPO_ROOT


def plan(workloads: int, workdir: Path) -> tuple[float, float, dict[str, Any]]:
    """(seconds, peak MiB, report) of `tools.plan --no-gate` for a generated stack."""
    (workdir / "Pulumi.scale.yaml").write_text(yaml.safe_dump({"config": {CONFIG_KEY: generate_config(workloads)}}))
    shutil.copy(REPO_ROOT / "__main__.py", workdir / "__main__.py")
    report = workdir / "report.json"
    command = [
        sys.executable,
        "-m",
        "tools.plan",
        "--stack",
        "scale",
        "--root",
        str(workdir),
        "--report",
        str(report),
        "--no-gate",
    ]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"plan failed for {workloads} workloads")
    return elapsed, usage.ru_maxrss / 1024, json.loads(report.read_text())


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10, 100, 500, 1000]
    print(
        f"{'workloads':>9} {'resources':>9} {'validate s':>10} {'plan s':>7} {'ms/res':>6} {'peak MiB':>8} "
        f"{'gate s':>7}  largest document (share of limit)"
    )
    shared: dict[int, dict[str, str]] = {}
    for size in sizes:
        start = time.perf_counter()
        load_config(generate_config(size))
        validate = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as tmp:
            seconds, peak, report = plan(size, Path(tmp))
        start = time.perf_counter()
        gate = run_gate(report["resources"], stack="scale")
        gate_seconds = time.perf_counter() - start
        assert not gate.mandatory, gate.mandatory[:3]
        largest: dict[str, float] = {}
        for document in report["documents"]:
            largest[document["kind"]] = max(largest.get(document["kind"], 0.0), document["size"] / document["limit"])
        count = len(report["resources"])
        shares = ", ".join(f"{kind} {share:.1%}" for kind, share in sorted(largest.items()))
        print(
            f"{size:>9} {count:>9} {validate:>10.2f} {seconds:>7.1f} {1000 * seconds / count:>6.2f} {peak:>8.0f} "
            f"{gate_seconds:>7.1f}  {shares}"
        )
        shared[size] = {
            r["name"]: r["inputs"]["policy"]
            for r in report["resources"]
            if r["type"] in ("aws:s3/bucketPolicy:BucketPolicy", "aws:kms/key:Key")
        }
    first, last = shared[sizes[0]], shared[sizes[-1]]
    print(
        f"\nbucket and key policies byte-identical at {sizes[0]} and {sizes[-1]} workloads: {first == last} "
        f"({len(first)} documents)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
