"""In-memory, self-refreshing AWS credentials from Google ID tokens, on botocore's own machinery.

botocore's `AssumeRoleWithWebIdentityCredentialFetcher` performs the exchange and botocore's
`DeferredRefreshableCredentials` refreshes it (behind a cached deadline, see `refreshable`): advisory
refresh 15 min before expiry (one thread refreshes, the others keep using the current credentials),
mandatory from 10 min (callers wait on one refresh). Nothing is cached on disk: the fetcher gets a
cache that stores nothing, so the refreshable credentials object in memory is the only copy.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleWithWebIdentityCredentialFetcher,
    CredentialProvider,
    DeferredRefreshableCredentials,
)
from botocore.exceptions import ClientError

from .claims import decode_claims, session_name_from_email
from .diagnose import sts_refusal
from .environment import DEFAULT_DURATION_SECONDS, WorkloadEnvironment
from .metadata import MetadataTokenSource
from .refreshable import FastPathCredentials

METHOD = "gcp-assume-role-with-web-identity"
_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})


class _NoCache(dict[str, Any]):
    """A fetcher cache that never stores: refresh decisions stay with the refreshable credentials."""

    def __setitem__(self, key: str, value: Any) -> None:
        return None


class WebIdentityExchange:
    """One role, one audience: exchanges the current ID token at STS. Counts the STS calls it makes."""

    def __init__(
        self,
        role_arn: str,
        audience: str,
        session_name: str | None = None,
        duration_seconds: int = DEFAULT_DURATION_SECONDS,
        region: str | None = None,
        token_source: Callable[[], str] | None = None,
        botocore_session: botocore.session.Session | None = None,
    ) -> None:
        if not role_arn.startswith("arn:"):
            raise ValueError(f"role_arn must be an IAM role ARN, got {role_arn!r}")
        self.role_arn = role_arn
        self.audience = audience
        self.duration_seconds = duration_seconds
        self.token_source = token_source or MetadataTokenSource(audience)
        self._session_name = session_name
        self._botocore = botocore_session or botocore.session.Session()
        self._region = region or self._botocore.get_config_variable("region")
        self._lock = threading.Lock()
        self.sts_calls = 0

    @property
    def session_name(self) -> str:
        """Pinned by the trust policy; derived from the token's email unless given."""
        if self._session_name is None:
            email = str(decode_claims(self.token_source()).get("email", ""))
            self._session_name = session_name_from_email(email)
        return self._session_name

    def _create_client(self, service_name: str, config: Config | None = None, **kwargs: Any) -> Any:
        # create_client follows AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL and regional STS endpoints.
        merged = _RETRIES.merge(config) if config is not None else _RETRIES
        return self._botocore.create_client(service_name, region_name=self._region, config=merged, **kwargs)

    def fetch(self) -> dict[str, Any]:
        """One AssumeRoleWithWebIdentity call, in botocore's refresh format."""
        fetcher = AssumeRoleWithWebIdentityCredentialFetcher(
            self._create_client,
            self.token_source,
            self.role_arn,
            extra_args={"RoleSessionName": self.session_name, "DurationSeconds": self.duration_seconds},
            cache=_NoCache(),
        )
        with self._lock:
            self.sts_calls += 1
        try:
            credentials: dict[str, Any] = fetcher.fetch_credentials()
        except ClientError as error:
            details = error.response.get("Error", {})
            raise sts_refusal(
                str(details.get("Code", "")),
                str(details.get("Message", "")),
                decode_claims(self.token_source()),
                self.role_arn,
                self.audience,
                self._session_name,
            ) from None
        return credentials

    def refreshable_credentials(self, clock: Callable[[], float] | None = None) -> FastPathCredentials:
        """Credentials that call `fetch` on first use and refresh in memory; `clock`: epoch seconds."""
        if clock is None:
            return FastPathCredentials(self.fetch, METHOD)
        return FastPathCredentials(self.fetch, METHOD, clock)


class _FixedProvider(CredentialProvider):
    METHOD = METHOD
    CANONICAL_NAME = "GcpWebIdentity"

    def __init__(self, credentials: DeferredRefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> DeferredRefreshableCredentials:
        return self._credentials


def federated_session(
    role_arn: str,
    audience: str,
    session_name: str | None = None,
    duration_seconds: int = DEFAULT_DURATION_SECONDS,
    region: str | None = None,
    token_source: Callable[[], str] | None = None,
    clock: Callable[[], float] | None = None,
) -> boto3.Session:
    """A boto3 Session whose credentials come from the exchange and refresh themselves in memory.

    Its credential chain starts with the exchange, so no environment key or profile can shadow it.
    """
    core = botocore.session.Session()
    exchange = WebIdentityExchange(role_arn, audience, session_name, duration_seconds, region, token_source, core)
    return session_with_credentials(exchange.refreshable_credentials(clock), region, core)


def session_with_credentials(
    credentials: DeferredRefreshableCredentials,
    region: str | None = None,
    core: botocore.session.Session | None = None,
) -> boto3.Session:
    """A boto3 Session whose credential chain starts with `credentials` (nothing can shadow them)."""
    core = core or botocore.session.Session()
    core.get_component("credential_provider").insert_before("env", _FixedProvider(credentials))
    return boto3.Session(botocore_session=core, region_name=region)


def session_from_environment() -> boto3.Session:
    """`federated_session` configured from the env the stack gives each workload (see `environment`)."""
    env = WorkloadEnvironment.from_environ(os.environ)
    return federated_session(
        env.role_arn,
        str(env.audience),
        session_name=env.session_name,
        duration_seconds=env.duration_seconds or DEFAULT_DURATION_SECONDS,
        region=env.region,
    )
