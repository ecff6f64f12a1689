"""Property: for any valid prefix, the generated identity policy reaches no key outside it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gcp_s3_federation.documents import PrefixGrant, prefix_access_policy
from gcp_s3_federation.models import Grant
from tests.iam_match import iam_like

KEY = "arn:aws:kms:eu-west-1:111122223333:key/0b6c1f5e-7d2a-4c4e-9a51-2f3e8d9c1a7b"
segment = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/*?$."), min_size=1, max_size=8
)
prefixes = st.lists(segment, min_size=1, max_size=4).map(lambda parts: "/".join(parts) + "/")
keys = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)


def _object_resources(prefix: str, access: str) -> list[str]:
    Grant(bucket="lake", prefix=prefix, access="read")  # the generated prefix is a valid config value
    document = prefix_access_policy([PrefixGrant("lake", prefix, access, KEY)], "eu-west-1")  # type: ignore[arg-type]
    return [r for s in document["Statement"] if s["Sid"].endswith("Objects") for r in s["Resource"]]


def _allows_object(prefix: str, access: str, key: str) -> bool:
    return any(iam_like(r, f"arn:aws:s3:::lake/{key}") for r in _object_resources(prefix, access))


@given(prefix=prefixes, key=keys, access=st.sampled_from(["read", "write", "read-write"]))
def test_object_access_iff_key_under_prefix(prefix: str, key: str, access: str) -> None:
    """Reads also reach the exact key `prefix` without its slash (S3A's HEAD); writes never do."""
    exact_key = access != "write" and key == prefix[:-1]
    assert _allows_object(prefix, access, key) == (key.startswith(prefix) or exact_key)


@given(prefix=prefixes, suffix=segment, rest=keys)
def test_sibling_prefix_never_matches(prefix: str, suffix: str, rest: str) -> None:
    sibling = prefix[:-1] + suffix + "/" + rest  # e.g. raw/ -> raw2/...
    assert not _allows_object(prefix, "read-write", sibling)


@given(prefix=prefixes, listed=keys)
def test_listing_only_inside_prefix(prefix: str, listed: str) -> None:
    document = prefix_access_policy([PrefixGrant("lake", prefix, "read", KEY)], "eu-west-1")
    patterns = document["Statement"][0]["Condition"]["StringLike"]["s3:prefix"]
    assert any(iam_like(p, listed) for p in patterns) == listed.startswith(prefix)


@given(prefix=prefixes)
def test_no_statement_grants_the_whole_bucket(prefix: str) -> None:
    document = prefix_access_policy([PrefixGrant("lake", prefix, "read-write", KEY)], "eu-west-1")
    resources = [
        r for s in document["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    ]
    assert "arn:aws:s3:::lake/*" not in resources
    assert "*" not in resources
