"""Drive a Python policy pack over the Analyzer gRPC protocol, exactly as the Pulumi CLI does.

The CLI starts `python -m pulumi.policy <engine-address> <pack-dir>`, reads the port the pack prints,
then calls GetAnalyzerInfo, Configure, Analyze (once per resource) and AnalyzeStack. So does this.
Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from concurrent import futures
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

PACK_DIR = Path(__file__).resolve().parent.parent / "policies"
LEVEL_NAMES = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_VALUES = {name: value for value, name in LEVEL_NAMES.items()}


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    resource: str
    message: str


@dataclass(frozen=True)
class GateResult:
    pack: str
    policies: dict[str, str]  # policy name -> enforcement level
    violations: list[Violation]

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    def as_json(self) -> list[dict[str, str]]:
        return [asdict(v) for v in self.violations]


class _Engine(engine_pb2_grpc.EngineServicer):
    """The engine side of the conversation: only logging is ever called by a Python pack."""

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:  # noqa: N802 - gRPC method name
        return empty_pb2.Empty()


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    return json_format.ParseDict(json.loads(json.dumps(value, default=str)), struct_pb2.Struct())


def policy_config(raw: Mapping[str, Any], defaults: Mapping[str, str]) -> dict[str, analyzer_pb2.PolicyConfig]:
    """`--policy-pack-config` JSON ({policy: "advisory"} or {policy: {"enforcementLevel": ..., <settings>}})
    as the CLI sends it: a policy configured without a level keeps its default level."""
    converted = {}
    for name, value in raw.items():
        if name not in defaults:
            raise ValueError(f"policy config names unknown policy {name!r}")
        settings = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        level = settings.pop("enforcementLevel", defaults[name])
        converted[name] = analyzer_pb2.PolicyConfig(enforcementLevel=LEVEL_VALUES[level], properties=_struct(settings))
    return converted


def run_gate(
    resources: Iterable[Mapping[str, Any]],
    pack_dir: Path = PACK_DIR,
    config: Mapping[str, Any] | None = None,
    project: str = "gcp-s3-federation",
    stack: str = "dev",
) -> GateResult:
    """Analyze `resources` ({"type", "name", "urn", "inputs"}) with the pack in `pack_dir`."""
    engine = _Engine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    engine_port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    env = {**os.environ, "PULUMI_PROJECT": project, "PULUMI_STACK": stack, "PULUMI_DRY_RUN": "true"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", str(pack_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert process.stdout is not None
        port_line = process.stdout.readline().decode().strip()
        if not port_line.isdigit():
            _, stderr = process.communicate(timeout=10)
            raise RuntimeError(f"policy pack did not start: {stderr.decode()[-2000:]}")
        with grpc.insecure_channel(f"127.0.0.1:{port_line}") as channel:
            return _converse(analyzer_pb2_grpc.AnalyzerStub(channel), list(resources), config or {}, engine_port)
    finally:
        process.terminate()
        process.wait(timeout=10)
        server.stop(grace=None)


def _converse(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
    resources: list[Mapping[str, Any]],
    config: Mapping[str, Any],
    engine_port: int,
) -> GateResult:
    try:
        analyzer.Handshake(analyzer_pb2.AnalyzerHandshakeRequest(engine_address=f"127.0.0.1:{engine_port}"))
    except grpc.RpcError as error:  # Python packs do not implement it; the CLI carries on too
        if error.code() != grpc.StatusCode.UNIMPLEMENTED:
            raise
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    levels = {p.name: LEVEL_NAMES[p.enforcementLevel] for p in info.policies}
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=policy_config(config, levels)))
    violations: list[Violation] = []
    stack_resources = []
    for resource in resources:
        properties = _struct(resource["inputs"])
        request = analyzer_pb2.AnalyzeRequest(
            type=resource["type"], properties=properties, urn=resource["urn"], name=resource["name"]
        )
        violations += _violations(analyzer.Analyze(request), resource["urn"])
        stack_resources.append(
            analyzer_pb2.AnalyzerResource(
                type=resource["type"], properties=properties, urn=resource["urn"], name=resource["name"]
            )
        )
    violations += _violations(analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=stack_resources)), "")
    return GateResult(info.name, levels, violations)


def _violations(response: analyzer_pb2.AnalyzeResponse, default_urn: str) -> list[Violation]:
    return [
        Violation(d.policyName, LEVEL_NAMES[d.enforcementLevel], d.urn or default_urn, d.message)
        for d in response.diagnostics
    ]


def table(result: GateResult) -> str:
    if not result.violations:
        return f"Policy pack {result.pack}: {len(result.policies)} policies, no violations."
    lines = [f"Policy pack {result.pack}: {len(result.violations)} violation(s)", ""]
    for v in sorted(result.violations, key=lambda v: (v.level != "mandatory", v.policy, v.resource)):
        lines.append(f"{v.level:<10} {v.policy:<40} {v.resource.rsplit('::', 1)[-1]}")
        lines.append(f"           {v.message}")
    return "\n".join(lines)


def markdown(result: GateResult, stack: str) -> str:
    verdict = "❌ blocked" if result.mandatory else "✅ passed"
    advisory = len(result.violations) - len(result.mandatory)
    lines = [
        f"### Policy gate for `{stack}`: {verdict}",
        "",
        f"{len(result.policies)} policies from `{result.pack}`; "
        f"{len(result.mandatory)} mandatory and {advisory} advisory violation(s).",
    ]
    if result.violations:
        lines += ["", "| Level | Policy | Resource | Message |", "| --- | --- | --- | --- |"]
        for v in result.violations:
            text = v.message.split(" Why: ")[0].replace("|", "\\|")
            lines.append(f"| {v.level} | `{v.policy}` | `{v.resource.rsplit('::', 1)[-1]}` | {text} |")
    return "\n".join(lines) + "\n"
