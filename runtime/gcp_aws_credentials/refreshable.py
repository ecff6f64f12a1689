"""botocore's refreshable credentials with the refresh deadline cached for the signing hot path.

botocore's signer calls `get_frozen_credentials()` for every request, and botocore's refreshable
credentials answer by reading `datetime.now(tzlocal())` and comparing datetimes on every call
(`_local_now`, `refresh_needed` and `_refresh` in botocore/credentials.py). The answer can only change
when a refresh publishes a new expiry, so the moment the advisory window opens is one number: before
it, a call costs one clock read and one float comparison. From that moment on, every call takes
botocore's own path unchanged (advisory and mandatory windows, its refresh lock, a failed advisory
refresh that keeps serving), so the refresh itself stays botocore's.

The deadline is wall-clock time (`time.time`), not `time.monotonic`: STS's `Expiration` is a wall-clock
instant and botocore compares it with the wall clock, and Linux's CLOCK_MONOTONIC stops while the system
is suspended (clock_gettime(2)), so a monotonic deadline would serve expired credentials after a VM
resumes. With one clock for both the fast path and botocore, the two always make the same decision.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.credentials import DeferredRefreshableCredentials, ReadOnlyCredentials


class FastPathCredentials(DeferredRefreshableCredentials):
    """`DeferredRefreshableCredentials` (fetched on first use) whose warm `get_frozen_credentials()`
    skips botocore's refresh check until the advisory refresh window opens.

    `clock` gives seconds since the epoch (tests shift it to simulate hours); botocore's own checks
    read the same clock.
    """

    # botocore's internals this class reads (the type stubs omit them).
    _frozen_credentials: ReadOnlyCredentials  # None only before the first refresh: the fast path is shut
    _expiry_time: datetime | None
    _advisory_refresh_timeout: int
    _refresh: Callable[[], None]

    def __init__(
        self, refresh_using: Callable[[], dict[str, Any]], method: str, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(refresh_using, method, time_fetcher=lambda: datetime.fromtimestamp(clock(), UTC))
        self._clock = clock
        self._check_from = -math.inf  # clock value from which botocore must check again

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        if self._clock() < self._check_from:
            return self._frozen_credentials
        self._refresh()
        # Derived from an expiry that was current during this call: if another thread publishes newer
        # credentials meanwhile, this value is already in the past and only costs one more check.
        expiry = self._expiry_time
        self._check_from = -math.inf if expiry is None else expiry.timestamp() - self._advisory_refresh_timeout
        return self._frozen_credentials  # _refresh published them or raised
