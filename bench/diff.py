"""Access-diff benchmark: seconds to compare a generated stack with itself, with one grant added, and with
a bucket policy changed (every workload on that bucket is asked again).

    .venv/bin/python -m bench.diff [sizes...]      # default: 10 100 300

Each size is a generated config (1-5 grants per workload on 1-3 buckets), planned in-process under the
mocks; the timings are of `access_diff` alone, on plan reports read back from JSON.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from typing import Any

from gcp_aws_credentials.state import StackState, load_state
from tools.diff import AccessDiff, access_diff
from tools.generate import generate_config
from tools.mock_cloud import CONFIG_KEY, run_program
from tools.plan import report


def state(federation: dict[str, Any]) -> StackState:
    return load_state(json.dumps(report(run_program("scale", {CONFIG_KEY: federation}))))


def timed(base: StackState, head: StackState) -> tuple[float, AccessDiff]:
    start = time.perf_counter()
    diff = access_diff(base, head)
    return time.perf_counter() - start, diff


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10, 100, 300]
    print(f"{'workloads':>9} {'itself s':>8} {'+1 grant s':>10} {'bucket policy s':>15}  rows added by +1 grant")
    for size in sizes:
        federation = generate_config(size)
        base = state(federation)
        grant = copy.deepcopy(federation)
        grant["workloads"][0]["grants"].append(
            {"bucket": federation["buckets"][0]["name"], "prefix": "extra/", "access": "read"}
        )
        fence = copy.deepcopy(federation)
        fence["admin_principal_arns"] = ["arn:aws:iam::111122223333:role/data-admin"]
        itself, same = timed(base, base)
        added, with_grant = timed(base, state(grant))
        policy, _ = timed(base, state(fence))
        assert not same.changed and with_grant.added
        print(f"{size:>9} {itself:>8.2f} {added:>10.2f} {policy:>15.2f}  {len(with_grant.added)}")


if __name__ == "__main__":
    main(sys.argv[1:])
