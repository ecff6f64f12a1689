"""Run the Pulumi program offline under Pulumi's mocks, recording every resource in wire shape.

The mocks answer with realistic computed outputs (service-account unique ids and emails, ARNs, key
ids) so that every dependent input, such as a trust policy, is fully rendered.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.stack import massage

from gcp_s3_federation.fields import partition_for_region

PROJECT = "gcp-s3-federation"
CONFIG_KEY = f"{PROJECT}:federation"
# libyaml's safe loader when PyYAML was built with it (about 5x faster on a 1,000-workload stack file).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RecordedResource:
    """One registered resource as the engine (and a policy pack) sees it."""

    type: str
    name: str
    urn: str
    custom: bool
    parent: str
    provider: str
    dependencies: tuple[str, ...]
    retain_on_delete: bool
    inputs: dict[str, Any]
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def report_entry(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "urn": self.urn, "inputs": self.inputs}


@dataclass
class PlanResult:
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def custom_resources(self) -> list[RecordedResource]:
        return [r for r in self.resources if r.custom and not r.type.startswith("pulumi:providers:")]


def fake_unique_id(email: str) -> str:
    """A 21-digit numeric id, stable per email, shaped like a service account's uniqueId."""
    return "1" + str(int(hashlib.sha256(email.encode()).hexdigest(), 16))[:20]


class CloudMocks(pulumi.runtime.Mocks):
    """Computed outputs the way AWS and Google would fill them in."""

    def __init__(self, aws_account_id: str = "000000000000", aws_region: str = "us-east-1") -> None:
        self.account = aws_account_id
        self.region = aws_region
        self._aws_providers: dict[str, tuple[str, str]] = {}  # provider id -> (account, region)

    def _placement(self, provider: str | None) -> tuple[str, str, str]:
        """(partition, account, region) of the explicit AWS provider a resource uses, else the defaults."""
        account, region = self._aws_providers.get((provider or "").rsplit("::", 1)[-1], (self.account, self.region))
        return partition_for_region(region), account, region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        typ, name = args.typ, args.name
        if typ == "pulumi:providers:aws":
            accounts = inputs.get("allowedAccountIds") or [self.account]
            if isinstance(accounts, str):  # provider inputs arrive JSON-encoded
                accounts = json.loads(accounts)
            self._aws_providers[f"{name}-id"] = (str(accounts[0]), str(inputs.get("region") or self.region))
            return f"{name}-id", inputs
        partition, account, region = self._placement(args.provider)
        if typ == "gcp:serviceaccount/account:Account":
            if args.resource_id:  # Account.get: an existing account, named projects/<p>/serviceAccounts/<email>
                email = args.resource_id.rsplit("/", 1)[-1]
                inputs.update(accountId=email.split("@")[0], project=email.split("@")[1].split(".")[0])
            email = f"{inputs['accountId']}@{inputs.get('project', 'mock-project')}.iam.gserviceaccount.com"
            inputs.update(email=email, uniqueId=fake_unique_id(email), member=f"serviceAccount:{email}")
            inputs["name"] = f"projects/{inputs.get('project')}/serviceAccounts/{email}"
            return inputs["name"], inputs
        if typ == "aws:iam/role:Role":
            role = inputs.get("name", name)
            inputs.update(arn=f"arn:{partition}:iam::{account}:role{inputs.get('path', '/')}{role}", name=role)
            return role, inputs
        if typ == "aws:kms/key:Key":
            key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/{name}"))
            inputs.update(keyId=key_id, arn=f"arn:{partition}:kms:{region}:{account}:key/{key_id}")
            return key_id, inputs
        if typ in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
            bucket = inputs.get("bucket", name)
            inputs.update(bucket=bucket, arn=f"arn:{partition}:s3:::{bucket}")
            return bucket, inputs
        if typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            host = str(inputs.get("url", "")).removeprefix("https://")
            arn = f"arn:{partition}:iam::{account}:oidc-provider/{host}"
            inputs["arn"] = arn
            return arn, inputs
        return f"{name}-id", inputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise NotImplementedError(f"the program made an invoke the mocks do not model: {args.token}")


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def engine_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The URN the Pulumi engine gives a resource: its parent's whole qualified type chain, then its
    own type (pulumi/pkg/resource/deploy `generateURN` and `resource.NewURN`; the root stack adds none).
    Pulumi's MockMonitor keeps only the parent's last type, so its URNs differ from a deployment's."""
    qualified = type_
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != ROOT_STACK_TYPE:
            qualified = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


class RecordingMonitor(mocks.MockMonitor):
    """A mock engine that gives the engine's URNs and keeps each registration's inputs, parent,
    dependencies and aliases."""

    def __init__(self, cloud: CloudMocks) -> None:
        super().__init__(cloud)
        self.recorded: list[RecordedResource] = []
        self.stack_outputs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return engine_urn(settings.get_stack(), settings.get_project(), parent, type_, name)

    def _alias_urn(self, request: Any, alias: Any) -> str:
        """An alias as the engine resolves it: a URN, or a spec whose blanks are the resource's own."""
        if alias.urn:
            return str(alias.urn)
        spec = alias.spec
        parent = "" if spec.noParent else (spec.parentUrn or request.parent)
        return engine_urn(
            spec.stack or settings.get_stack(),
            spec.project or settings.get_project(),
            parent,
            spec.type or request.type,
            spec.name or request.name,
        )

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.urn.split("::")[2] == ROOT_STACK_TYPE:
            self.stack_outputs = _plain(rpc.deserialize_properties(request.outputs))
        return super().RegisterResourceOutputs(request)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            record = RecordedResource(
                type=request.type,
                name=request.name,
                urn=response.urn,
                custom=bool(request.custom),
                parent=request.parent,
                provider=request.provider,
                dependencies=tuple(request.dependencies),
                retain_on_delete=bool(request.retainOnDelete),
                inputs=_plain(rpc.deserialize_properties(request.object)),
                id=response.id,
                outputs=_plain(rpc.deserialize_properties(response.object)),
                aliases=tuple(self._alias_urn(request, alias) for alias in request.aliases),
            )
            with self._lock:
                self.recorded.append(record)
        return response


SECRET_SIGNATURE = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


def _plain(value: Any) -> Any:
    """Engine values as JSON data, secrets unwrapped as a policy pack receives them."""

    def unwrap(item: Any) -> Any:
        if isinstance(item, dict):
            if item.get(SECRET_SIGNATURE[0]) == SECRET_SIGNATURE[1]:
                return unwrap(item.get("value"))
            return {k: unwrap(v) for k, v in item.items()}
        if isinstance(item, list):
            return [unwrap(v) for v in item]
        return item

    return unwrap(json.loads(json.dumps(value, default=str)))


class StackFileError(ValueError):
    """A stack or project file that is not valid YAML of the expected shape; one line, with its place."""


class _UniqueKeyLoader(SAFE_LOADER):  # type: ignore[valid-type,misc]
    """YAML that refuses duplicate keys: PyYAML would silently keep the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise StackFileError(f"line {mark.line + 1}: duplicate key {key!r} (YAML would keep only the last one)")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """A YAML file as data; every problem is one `StackFileError` line naming the file and the line."""
    try:
        return yaml.load(path.read_text(), Loader=_UniqueKeyLoader)  # a safe loader that refuses duplicates
    except StackFileError as error:
        raise StackFileError(f"{path.name} {error}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise StackFileError(f"{path.name}{where}: YAML syntax error: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name}: YAML error: {error}") from None


def stack_config(stack: str, root: Path = REPO_ROOT) -> dict[str, Any]:
    """The `config:` mapping of Pulumi.<stack>.yaml."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no stack file {path.name} in {root}")
    document = read_yaml(path) or {}
    if not isinstance(document, dict):
        raise StackFileError(f"{path.name}: must be a mapping with a 'config' key")
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path.name}: 'config' must be a mapping")
    return config


def run_under_mocks(
    body: Callable[[], Any],
    stack: str = "test",
    project: str = PROJECT,
    cloud: CloudMocks | None = None,
) -> PlanResult:
    """Run `body` (which declares resources) under mocks and return what it registered."""
    monitor = RecordingMonitor(cloud or CloudMocks())
    settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh root stack: exports do not leak
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def execute() -> None:
        body()
        # What the root stack does when a program ends (pulumi.runtime.stack.Stack._finish); the mocks'
        # stack finished before the program ran, so its exports are registered here.
        root = pulumi.runtime.get_root_resource()
        if isinstance(root, pulumi.ComponentResource):
            root.register_outputs(massage(dict(getattr(root, "outputs", {})), []))

    execute()
    return PlanResult(stack=stack, resources=list(monitor.recorded), outputs=monitor.stack_outputs)


def run_program(
    stack: str,
    config: dict[str, Any],
    program: Path = REPO_ROOT / "__main__.py",
    project: str = PROJECT,
    cloud: CloudMocks | None = None,
    body: Callable[[], Any] | None = None,
) -> PlanResult:
    """Run a Pulumi program (or `body`, which declares resources) under mocks; raises what the program
    raises (e.g. pulumi.RunError). The mocks' account and region default to the `federation` setting's
    placement."""
    if cloud is None:
        federation = config.get(CONFIG_KEY)
        aws = federation.get("aws") if isinstance(federation, dict) else None
        placement = aws if isinstance(aws, dict) else {}  # a wrong shape is the config loader's to report
        cloud = CloudMocks(str(placement.get("account_id", "000000000000")), str(placement.get("region", "us-east-1")))
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v, default=str) for k, v in config.items()}
    )
    try:
        program_body = body or (lambda: runpy.run_path(str(program), run_name="__main__"))
        return run_under_mocks(program_body, stack, project, cloud)
    finally:
        pulumi.runtime.set_all_config({})
