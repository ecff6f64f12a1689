"""Generated stack configs for scale tests and benchmarks: N workloads, 1-5 grants each, 1-3 buckets."""

from __future__ import annotations

import random
from typing import Any

ACCESS = ("read", "write", "read-write")


def generate_config(workloads: int, seed: int = 7, buckets: int = 3) -> dict[str, Any]:
    """A valid `federation` value; deterministic for a given seed."""
    rng = random.Random(seed)
    bucket_names = [f"acme-scale-lake-{i}" for i in range(1, buckets + 1)]
    specs = []
    for index in range(workloads):
        chosen = rng.sample(bucket_names, rng.randint(1, min(3, len(bucket_names))))
        count = rng.randint(1, 5)
        grants = [
            {
                "bucket": chosen[g % len(chosen)],
                "prefix": f"team-{index:04d}/dataset-{g}/",
                "access": rng.choice(ACCESS),
            }
            for g in range(count)
        ]
        specs.append({"name": f"workload-{index:04d}", "kind": "service-account-only", "grants": grants})
    return {
        "environment": "scale",
        "aws": {"account_id": "111122223333", "region": "eu-west-1"},
        "gcp": {"project": "acme-data-scale", "region": "europe-west1"},
        "limits": {"service_accounts_per_project": max(100, workloads)},
        "buckets": [{"name": name} for name in bucket_names],
        "workloads": specs,
    }
