"""The credentials' warm fast path against botocore's refresh windows, on a simulated clock (no STS).

botocore refreshes in the advisory window (15 min before expiry; a failure keeps the current
credentials) and blocks in the mandatory window (10 min; a failure raises). The fast path must never
skip a refresh attempt inside either window, and must stay safe with many signing threads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.credentials import ReadOnlyCredentials

from gcp_aws_credentials.refreshable import FastPathCredentials

LIFETIME = 3600
ADVISORY = 15 * 60
MANDATORY = 10 * 60
START = 1_800_000_000.0


@dataclass
class FakeSts:
    """Issues generation n as AK<n>/SK<n>/T<n>, valid LIFETIME seconds from the simulated now."""

    now: list[float] = field(default_factory=lambda: [START])
    failing: bool = False
    latency: float = 0.0
    calls: list[float] = field(default_factory=list)  # simulated time of each attempt
    expiries: dict[str, float] = field(default_factory=dict)  # access key -> expiry
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clock(self) -> float:
        return self.now[0]

    def fetch(self) -> dict[str, Any]:
        with self.lock:
            self.calls.append(self.now[0])
            generation = len(self.calls)
        time.sleep(self.latency)
        if self.failing:
            raise ConnectionError("STS unreachable")
        expiry = self.now[0] + LIFETIME
        self.expiries[f"AK{generation}"] = expiry
        return {
            "access_key": f"AK{generation}",
            "secret_key": f"SK{generation}",
            "token": f"T{generation}",
            "expiry_time": datetime.fromtimestamp(expiry, UTC).isoformat(),
        }


def _credentials(sts: FakeSts) -> FastPathCredentials:
    return FastPathCredentials(sts.fetch, "test", sts.clock)


def test_warm_path_refreshes_as_soon_as_the_advisory_window_opens() -> None:
    sts = FakeSts()
    credentials = _credentials(sts)
    first = credentials.get_frozen_credentials()
    assert first.access_key == "AK1" and len(sts.calls) == 1
    sts.now[0] = START + LIFETIME - ADVISORY - 0.01  # last moment outside the window
    for _ in range(3):
        assert credentials.get_frozen_credentials() is first
    assert len(sts.calls) == 1
    refreshed_at = sts.now[0] = START + LIFETIME - ADVISORY + 0.01  # the window is open: the next call refreshes
    assert credentials.get_frozen_credentials().access_key == "AK2"
    assert len(sts.calls) == 2
    sts.now[0] = refreshed_at + LIFETIME - ADVISORY - 0.01  # the new deadline follows the new expiry
    assert credentials.get_frozen_credentials().access_key == "AK2" and len(sts.calls) == 2
    sts.now[0] = refreshed_at + LIFETIME - ADVISORY + 0.01
    assert credentials.get_frozen_credentials().access_key == "AK3"


def test_failed_advisory_refresh_serves_current_credentials_and_retries_each_call() -> None:
    sts = FakeSts()
    credentials = _credentials(sts)
    first = credentials.get_frozen_credentials()
    sts.failing = True
    sts.now[0] = START + LIFETIME - ADVISORY + 60
    assert credentials.get_frozen_credentials() is first
    assert credentials.get_frozen_credentials() is first
    assert len(sts.calls) == 3  # the failure did not re-arm the fast path
    sts.now[0] = START + LIFETIME - MANDATORY + 1
    with pytest.raises(ConnectionError):
        credentials.get_frozen_credentials()
    sts.failing = False
    assert credentials.get_frozen_credentials().access_key == "AK5"


def test_properties_keep_botocores_refresh() -> None:
    sts = FakeSts()
    credentials = _credentials(sts)
    assert credentials.get_frozen_credentials().access_key == "AK1"
    sts.now[0] = START + LIFETIME - ADVISORY + 1
    assert credentials.access_key == "AK2" and credentials.secret_key == "SK2"


def test_32_threads_one_refresh_per_window_and_never_inside_the_mandatory_window() -> None:
    sts = FakeSts(latency=0.002)  # other threads pile in while the refresh is in flight
    credentials = _credentials(sts)
    step, steps, calls_per_step = 60, 4 * LIFETIME // 60, 20
    served: list[tuple[float, ReadOnlyCredentials]] = []
    barrier = threading.Barrier(33, timeout=60)  # a crashed worker breaks it and fails the test

    def sign_requests() -> None:
        mine: list[tuple[float, ReadOnlyCredentials]] = []
        for _ in range(steps):
            barrier.wait()  # the clock has moved: all 32 threads sign at the same simulated time
            mine.extend((sts.now[0], credentials.get_frozen_credentials()) for _ in range(calls_per_step))
            barrier.wait()
        served.extend(mine)

    threads = [threading.Thread(target=sign_requests) for _ in range(32)]
    for thread in threads:
        thread.start()
    for _ in range(steps):
        sts.now[0] += step
        barrier.wait()
        barrier.wait()
    for thread in threads:
        thread.join()

    assert len(served) == 32 * steps * calls_per_step
    for now, frozen in served:
        access_key = str(frozen.access_key)
        generation = access_key.removeprefix("AK")
        assert (frozen.secret_key, frozen.token) == (f"SK{generation}", f"T{generation}")  # never torn
        assert now <= sts.expiries[access_key] - ADVISORY + step  # old ones only while the refresh runs
    gaps = [later - earlier for earlier, later in zip(sts.calls, sts.calls[1:], strict=False)]
    assert all(LIFETIME - ADVISORY <= gap <= LIFETIME - ADVISORY + step for gap in gaps)  # one call per window
    assert len(sts.calls) == 6  # at 0, then every 2,700-2,760 s of the 14,400 simulated seconds
