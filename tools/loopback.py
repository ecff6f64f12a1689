"""Loopback stand-ins for the clouds, shared by tests and benchmarks: a moto server (real AWS API
shapes over HTTP), Google's metadata server minting RS256 ID tokens, and an STS that refuses."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from gcp_aws_credentials.refreshable import FastPathCredentials

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
IDENTITY_PATH = "/computeMetadata/v1/instance/service-accounts/default/identity"
EMAIL_PATH = "/computeMetadata/v1/instance/service-accounts/default/email"
ACCESS_TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"
FAKE_ACCESS_TOKEN = "ya29.fake-loopback-access-token"


class _QuietHandler(BaseHTTPRequestHandler):
    """A loopback handler that answers with a body and logs nothing."""

    def reply(self, status: int, body: str, content_type: str = "text/plain") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def _serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class FakeMetadata:
    """Serves identity tokens for one service account; records every request it answers."""

    unique_id: str = "112233445566778899001"
    email: str = "etl-runner@acme-data-dev.iam.gserviceaccount.com"
    lifetime: int = 3600
    forced_audience: str | None = None  # mint for this audience whatever is asked (a misconfiguration)
    failures_before_success: int = 0  # answer 503 this many times first
    non_tokens_before_success: int = 0  # then answer 200 with a body that is not a JWT this many times
    requests: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def mint(self, audience: str) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://accounts.google.com",
            "aud": audience,
            "azp": self.unique_id,
            "sub": self.unique_id,
            "email": self.email,
            "email_verified": True,
            "iat": now,
            "exp": now + self.lifetime,
            "google": {"compute_engine": {"project_id": "acme-data-dev", "zone": "europe-west1-b"}},
        }
        return jwt.encode(claims, _KEY, algorithm="RS256", headers={"kid": "fake"})

    def start(self) -> tuple[ThreadingHTTPServer, str]:
        fake = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                fake.requests.append({"path": url.path, "query": query, "flavor": self.headers.get("Metadata-Flavor")})
                if fake.failures_before_success > 0:
                    fake.failures_before_success -= 1
                    self.reply(503, "busy")
                elif fake.non_tokens_before_success > 0:
                    fake.non_tokens_before_success -= 1
                    self.reply(200, "<html>captive portal</html>")
                elif self.headers.get("Metadata-Flavor") == "Google" and url.path == EMAIL_PATH:
                    self.reply(200, fake.email)
                elif self.headers.get("Metadata-Flavor") == "Google" and url.path == ACCESS_TOKEN_PATH:
                    self.reply(200, json.dumps({"access_token": FAKE_ACCESS_TOKEN, "expires_in": 3599}))
                elif url.path != IDENTITY_PATH or self.headers.get("Metadata-Flavor") != "Google":
                    self.reply(403 if url.path == IDENTITY_PATH else 404, "missing Metadata-Flavor or bad path")
                else:
                    token = fake.mint(fake.forced_audience or query.get("audience", ""))
                    fake.tokens.append(token)
                    self.reply(200, token)

        server = _serve(Handler)
        return server, f"127.0.0.1:{server.server_address[1]}"


@dataclass
class FakeIam:
    """IAM's serviceAccounts.getIamPolicy for the accounts in `policies`, answering only the metadata
    server's access token; `readable=False` answers 403 as IAM does without iam.serviceAccounts.getIamPolicy."""

    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    readable: bool = True
    requests: list[str] = field(default_factory=list)

    def start(self) -> tuple[ThreadingHTTPServer, str]:
        fake = self

        class Handler(_QuietHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append(self.path)
                prefix, suffix = "/v1/projects/-/serviceAccounts/", ":getIamPolicy"
                email = urllib.parse.unquote(self.path.removeprefix(prefix).removesuffix(suffix))
                if self.headers.get("Authorization") != f"Bearer {FAKE_ACCESS_TOKEN}":
                    self._reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
                elif not (self.path.startswith(prefix) and self.path.endswith(suffix)) or email not in fake.policies:
                    self._reply(404, {"error": {"code": 404, "status": "NOT_FOUND"}})
                elif not fake.readable:
                    self._reply(403, {"error": {"code": 403, "status": "PERMISSION_DENIED"}})
                else:
                    self._reply(200, {"version": 1, "etag": "BwYfake=", **fake.policies[email]})

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                self.reply(status, json.dumps(body), "application/json")

        server = _serve(Handler)
        return server, f"http://127.0.0.1:{server.server_address[1]}"


def aws_error_server(code: str, message: str, status: int = 403, s3: bool = False) -> tuple[ThreadingHTTPServer, str]:
    """An AWS endpoint that refuses every call with the given error, in the service's XML shape
    (query protocol such as STS by default, REST-XML for S3)."""
    error = f"<Code>{code}</Code><Message>{message}</Message>"
    body = (
        f"<Error>{error}<RequestId>fake</RequestId></Error>"
        if s3
        else '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"{error}</Error><RequestId>fake</RequestId></ErrorResponse>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def _refuse(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = _refuse  # noqa: N815 - http.server API

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def put_sse_kms_default(s3: Any, bucket: str, key_arn: str, bucket_key: bool = True) -> None:
    """Give a moto bucket the default encryption the stack renders: SSE-KMS under `key_arn`."""
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": bucket_key,
                }
            ]
        },
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """A moto server on 127.0.0.1; returns the process and its endpoint URL once it accepts connections."""
    port = free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not start")


def shifted_time_credentials(exchange: Any, offset: list[timedelta]) -> FastPathCredentials:
    """The runtime's refreshable credentials with a clock running `offset[0]` ahead, and STS answering
    in the same frame (expiry shifted too): simulated hours without waiting for them."""

    def fetch_in_shifted_time() -> dict[str, Any]:
        credentials: dict[str, Any] = exchange.fetch()
        expiry = datetime.fromisoformat(credentials["expiry_time"]) + offset[0]
        return {**credentials, "expiry_time": expiry.isoformat()}

    return FastPathCredentials(fetch_in_shifted_time, "shifted-time", lambda: time.time() + offset[0].total_seconds())
