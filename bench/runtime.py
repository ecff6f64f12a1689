"""Runtime benchmark (issues 4, 16): credential hot path and STS calls per process-hour, against moto.

    .venv/bin/python -m bench.runtime

1. Hot path: `get_frozen_credentials()` on a warm federated session versus a session with static
   credentials, as a ratio measured in the same run (what every S3 call pays to sign its request).
   The two are timed in alternating rounds, and each keeps its best round, so load from other
   processes on the machine affects both alike.
2. STS calls per process-hour at 1, 8 and 32 threads: threads fetch credentials continuously while a
   simulated clock runs four hours; STS answers in the same simulated time.
"""

from __future__ import annotations

import os
import threading
import timeit
from datetime import timedelta

import boto3
from botocore.credentials import DeferredRefreshableCredentials

from gcp_aws_credentials import WebIdentityExchange, federated_session
from gcp_aws_credentials.session import session_with_credentials
from tools.loopback import FakeMetadata, shifted_time_credentials, start_moto

ROLE_ARN = "arn:aws:iam::123456789012:role/gcp-federation/dev/gcpfed-dev-bench"
AUDIENCE = "gcp-s3-federation-dev"
HOURS = 4
STEP = timedelta(seconds=30)


def hot_path(calls: int = 200_000, rounds: int = 7) -> tuple[float, float, float]:
    """Best-round seconds per call: federated session, static keys, botocore's refreshable credentials."""
    warm = federated_session(ROLE_ARN, AUDIENCE, region="eu-west-1").get_credentials()
    exchange = WebIdentityExchange(ROLE_ARN, AUDIENCE, region="eu-west-1")
    botocore_only = DeferredRefreshableCredentials(refresh_using=exchange.fetch, method="botocore")
    static = boto3.Session(aws_access_key_id="AKIDSTATIC", aws_secret_access_key="x", region_name="eu-west-1")
    frozen_static = static.get_credentials()
    assert warm is not None and frozen_static is not None
    warm.get_frozen_credentials()  # the one STS call of each
    botocore_only.get_frozen_credentials()
    federated, plain = [], []
    for _ in range(rounds):
        federated.append(timeit.timeit(warm.get_frozen_credentials, number=calls) / calls)
        plain.append(timeit.timeit(frozen_static.get_frozen_credentials, number=calls) / calls)
    botocore = min(timeit.repeat(botocore_only.get_frozen_credentials, number=calls // 10, repeat=3)) / (calls // 10)
    return min(federated), min(plain), botocore


def sts_calls_per_hour(threads: int) -> float:
    offset = [timedelta(0)]
    exchange = WebIdentityExchange(ROLE_ARN, AUDIENCE, region="eu-west-1")
    session = session_with_credentials(shifted_time_credentials(exchange, offset), "eu-west-1")
    frozen = session.get_credentials()
    assert frozen is not None
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            frozen.get_frozen_credentials()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    end = timedelta(hours=HOURS)
    while offset[0] < end:
        offset[0] += STEP
        threading.Event().wait(0.002)
    stop.set()
    for thread in workers:
        thread.join()
    return exchange.sts_calls / HOURS


def main() -> None:
    process, endpoint = start_moto()
    fake = FakeMetadata(lifetime=3600)
    server, host = fake.start()
    os.environ.update(
        GCE_METADATA_HOST=host,
        AWS_ENDPOINT_URL=endpoint,
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    )
    try:
        federated, plain, botocore = hot_path()
        print(f"hot path, warm federated session: {federated * 1e9:8.0f} ns per get_frozen_credentials()")
        print(f"hot path, static credentials:     {plain * 1e9:8.0f} ns per get_frozen_credentials()")
        print(f"ratio federated / static:         {federated / plain:8.2f}")
        print(f"(botocore's refreshable credentials without the fast path: {botocore * 1e9:.0f} ns)")
        print(f"\nSTS calls per process-hour (3600 s sessions, {HOURS} simulated hours):")
        for threads in (1, 8, 32):
            print(f"  {threads:>2} threads: {sts_calls_per_hour(threads):.2f}")
    finally:
        server.shutdown()
        process.terminate()


if __name__ == "__main__":
    main()
