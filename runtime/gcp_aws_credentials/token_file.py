"""Keep a web-identity token file fresh for SDKs that read AWS_WEB_IDENTITY_TOKEN_FILE (Hadoop S3A)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT_INTERVAL_SECONDS = 300
DEFAULT_MODE = 0o600


def write_atomically(path: Path, content: str, mode: int = DEFAULT_MODE) -> None:
    """Readers see the old file or the new one, never a partial write: temp file in the same
    directory, fsync, chmod, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def refresh_forever(
    token_source: Callable[[], str],
    path: Path,
    interval: float = DEFAULT_INTERVAL_SECONDS,
    mode: int = DEFAULT_MODE,
    iterations: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_error: Callable[[Exception], None] | None = None,
) -> None:
    """Write the token now and every `interval` seconds (`iterations=None`: until stopped).

    A failed refresh leaves the previous file in place (it stays valid until its `exp`) and is
    reported through `on_error`; the loop goes on.
    """
    done = 0
    while iterations is None or done < iterations:
        try:
            write_atomically(path, token_source(), mode)
        except Exception as error:
            if on_error is None:
                raise
            on_error(error)
        done += 1
        if iterations is None or done < iterations:
            sleep(interval)
