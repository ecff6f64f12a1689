"""Google-signed ID tokens from the metadata server, cached until shortly before they expire."""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from .claims import decode_claims
from .errors import MetadataError

DEFAULT_HOST = "metadata.google.internal"
IDENTITY_PATH = "/computeMetadata/v1/instance/service-accounts/default/identity"
REFRESH_MARGIN_SECONDS = 300
ATTEMPTS = 3
BACKOFF_SECONDS = 0.2
TIMEOUT_SECONDS = 5.0


class MetadataTokenSource:
    """Thread-safe source of ID tokens for one audience (like google-auth, honours GCE_METADATA_HOST).

    A token is reused until `REFRESH_MARGIN_SECONDS` before its `exp`; concurrent callers share one
    fetch. Tokens live only in this object: they are never logged or written anywhere.
    """

    def __init__(
        self,
        audience: str,
        host: str | None = None,
        clock: Callable[[], float] = time.time,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        if not audience:
            raise ValueError("audience must not be empty")
        self.audience = audience
        self.host = host or os.environ.get("GCE_METADATA_HOST") or DEFAULT_HOST
        self._clock = clock
        self._timeout = timeout
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.fetches = 0

    @property
    def url(self) -> str:
        query = urllib.parse.urlencode({"audience": self.audience, "format": "full"})
        return f"http://{self.host}{IDENTITY_PATH}?{query}"

    def __call__(self) -> str:
        """The current token (a botocore `web_identity_token_loader`)."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - REFRESH_MARGIN_SECONDS:
                self._token = self._fetch()
                self._expires_at = float(decode_claims(self._token).get("exp", 0))
            return self._token

    def _fetch(self) -> str:
        request = urllib.request.Request(self.url, headers={"Metadata-Flavor": "Google"})
        last_error: Exception | None = None
        for attempt in range(ATTEMPTS):
            try:
                with urllib.request.urlopen(request, timeout=self._timeout) as response:
                    self.fetches += 1
                    return str(response.read().decode().strip())
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    raise MetadataError(
                        f"metadata server at {self.host} refused an ID token for audience {self.audience!r} "
                        f"(HTTP {error.code}); is a service account attached to this workload?",
                        code="metadata-refused",
                        cause=f"HTTP {error.code}: no service account attached, or the metadata server refused",
                        fix="attach the workload's dedicated service account",
                    ) from None
                last_error = error
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                last_error = error
            time.sleep(BACKOFF_SECONDS * 2**attempt)
        raise MetadataError(
            f"metadata server at {self.host} is unreachable after {ATTEMPTS} attempts ({last_error}); this must "
            "run on Cloud Run, GCE or Dataproc, or set GCE_METADATA_HOST to a metadata emulator",
            code="metadata-unreachable",
            cause="not running on Cloud Run, GCE or Dataproc, or GCE_METADATA_HOST points nowhere",
            fix="run on the workload, or set GCE_METADATA_HOST to a metadata emulator",
        )
