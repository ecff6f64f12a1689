"""Plan benchmark (issue 16): the offline plan against a flat "floor" program, in the same run.

    .venv/bin/python -m bench.plan [sizes...]      # default: 100 1000

For each size (generated workloads, 1-5 grants on 1-3 buckets, as `bench.scale`), each run in a fresh
process, CPU time (user + system, all threads, interpreter start included) and peak RSS of that process:

- plan: what `make plan` runs before the gate: read `Pulumi.<stack>.yaml`, run the real `__main__.py`
  under the mocks of `tools.mock_cloud`;
- floor: a flat program that registers the same resources with the same provider SDK classes
  (`aws.iam.Role(...)`, ...), the same names and the same final inputs, with the same two explicit
  providers, at the stack root, under the same mocks: no components, no Outputs passed between
  resources; what the Pulumi SDK and the provider SDKs cost per resource. The floor checks that every
  resource's inputs reach the engine exactly as the plan's did.

Prints plan/floor per size and the peak memory per workload between the two sizes. Each process is
measured from its own start to the end of the program, so writing the floor's input is not counted.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import pulumi
import yaml
from pulumi._types import input_type_py_to_pulumi_names

from tools.generate import generate_config
from tools.mock_cloud import CONFIG_KEY, REPO_ROOT, CloudMocks, run_program, run_under_mocks, stack_config

STACK = "scale"


def _usage() -> dict[str, float]:
    """CPU seconds and peak MiB of this process so far."""
    return {"cpu": time.process_time(), "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_plan(root: Path, floor_input: Path) -> dict[str, float]:
    """Child: the plan of the stack in `root`; then writes what the floor will register."""
    config = stack_config(STACK, root)
    result = run_program(STACK, config, program=REPO_ROOT / "__main__.py")
    usage = _usage()
    registered = [
        {"type": r.type, "name": r.name, "urn": r.urn, "provider": r.provider, "inputs": r.inputs}
        for r in result.resources
        if r.custom
    ]
    floor_input.write_text(json.dumps(registered))
    return {**usage, "resources": len(result.custom_resources)}


def resource_class(token: str) -> type[pulumi.CustomResource]:
    """The provider SDK's class for a type token: `aws:iam/role:Role` is `pulumi_aws.iam.Role`."""
    if token.startswith("pulumi:providers:"):
        module = importlib.import_module(f"pulumi_{token.removeprefix('pulumi:providers:')}")
        return cast(type[pulumi.CustomResource], module.Provider)
    package, module_path, name = token.split(":")
    module = importlib.import_module(f"pulumi_{package}.{module_path.split('/')[0]}")
    return cast(type[pulumi.CustomResource], getattr(module, name))


def keyword_arguments(cls: type[pulumi.CustomResource], inputs: dict[str, Any]) -> dict[str, Any]:
    """Engine-named inputs as the class's keyword arguments (nested values keep their engine names)."""
    args_type = getattr(sys.modules[cls.__module__], f"{cls.__name__}Args")
    python_names = {engine: python for python, engine in input_type_py_to_pulumi_names(args_type).items()}
    parameters = inspect.signature(cls._internal_init).parameters  # type: ignore[attr-defined]
    kwargs = {}
    for key, value in inputs.items():
        python = python_names.get(key) or re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
        if python not in parameters:
            raise RuntimeError(f"{cls.__name__} takes no argument for input {key!r}")
        kwargs[python] = value
    return kwargs


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def floor_program(registered: list[dict[str, Any]], typed: bool) -> None:
    """Every recorded resource, flat at the stack root, with its final inputs and its provider: through
    the provider SDK classes (`typed`) or as plain `pulumi.CustomResource`s (the SDK alone)."""
    providers: dict[str, pulumi.ProviderResource] = {}
    for entry in registered:
        token, name, inputs = entry["type"], entry["name"], entry["inputs"]
        if token.startswith("pulumi:providers:"):
            if typed:  # provider inputs travel JSON-encoded
                cls = resource_class(token)
                kwargs = keyword_arguments(cls, {k: _json_or_text(v) for k, v in inputs.items()})
                providers[entry["urn"]] = cast(pulumi.ProviderResource, cls(name, **kwargs))
            else:
                providers[entry["urn"]] = pulumi.ProviderResource(token.removeprefix("pulumi:providers:"), name, inputs)
    for entry in registered:
        token, name, inputs = entry["type"], entry["name"], entry["inputs"]
        if not token.startswith("pulumi:providers:"):
            opts = pulumi.ResourceOptions(provider=providers[entry["provider"].rsplit("::", 1)[0]])
            if typed:
                cls = resource_class(token)
                cls(name, **keyword_arguments(cls, inputs), opts=opts)
            else:
                pulumi.CustomResource(token, name, inputs, opts=opts)


def run_floor(floor_input: Path, typed: bool) -> dict[str, float]:
    """Child: a floor program over the plan's resources."""
    registered = json.loads(floor_input.read_text())
    placement = generate_config(0)["aws"]
    result = run_under_mocks(
        lambda: floor_program(registered, typed),
        STACK,
        cloud=CloudMocks(placement["account_id"], placement["region"]),
    )
    usage = _usage()
    planned = {(e["type"], e["name"]): e["inputs"] for e in registered}
    different = [r.name for r in result.resources if planned[(r.type, r.name)] != r.inputs]
    if different:
        raise RuntimeError(f"the floor's inputs differ from the plan's for {different[:5]}")
    return {**usage, "resources": len([r for r in result.resources if not r.type.startswith("pulumi:providers:")])}


def _child(*args: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.plan", "--child", *args], cwd=REPO_ROOT, capture_output=True, text=True
    )
    if output.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{output.stderr[-3000:]}")
    measured: dict[str, float] = json.loads(output.stdout.strip().splitlines()[-1])
    return measured


def measure(workloads: int) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(plan, floor, SDK-only floor) measurements for a generated stack of `workloads` workloads."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stack_file = root / f"Pulumi.{STACK}.yaml"
        stack_file.write_text(yaml.safe_dump({"config": {CONFIG_KEY: generate_config(workloads)}}))
        floor_input = root / "floor.json"
        plan = _child("plan", str(root), str(floor_input))
        floor = _child("floor", str(floor_input))
        bare = _child("bare", str(floor_input))
    if not plan["resources"] == floor["resources"] == bare["resources"]:
        raise RuntimeError(
            f"the floors registered {floor['resources']}/{bare['resources']}, the plan {plan['resources']}"
        )
    return plan, floor, bare


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        kind, *paths = argv[1:]
        if kind == "plan":
            measured = run_plan(Path(paths[0]), Path(paths[1]))
        else:
            measured = run_floor(Path(paths[0]), typed=kind == "floor")
        print(json.dumps(measured))
        return
    sizes = [int(a) for a in argv] or [100, 1000]
    print(
        f"{'workloads':>9} {'resources':>9} {'plan CPU s':>10} {'floor CPU s':>11} {'plan/floor':>10} "
        f"{'SDK-only s':>10} {'plan/SDK-only':>13} {'plan peak MiB':>13} {'floor peak MiB':>14}"
    )
    peaks: dict[int, float] = {}
    for size in sizes:
        plan, floor, bare = measure(size)
        peaks[size] = plan["peak_mib"]
        print(
            f"{size:>9} {int(plan['resources']):>9} {plan['cpu']:>10.2f} {floor['cpu']:>11.2f} "
            f"{plan['cpu'] / floor['cpu']:>10.2f} {bare['cpu']:>10.2f} {plan['cpu'] / bare['cpu']:>13.2f} "
            f"{plan['peak_mib']:>13.0f} {floor['peak_mib']:>14.0f}"
        )
    if len(sizes) > 1:
        low, high = min(sizes), max(sizes)
        per_workload = (peaks[high] - peaks[low]) / (high - low)
        print(f"\nplan peak memory per workload ({low} -> {high} workloads): {per_workload:.3f} MiB")


if __name__ == "__main__":
    main(sys.argv[1:])
