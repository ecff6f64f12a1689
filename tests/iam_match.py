"""IAM string wildcard matching for tests: `*` is any run of characters, `?` any one character."""

from __future__ import annotations

import re


def iam_like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None
