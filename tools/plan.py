"""`make plan`: the stack's full plan and policy gate, offline, with no Pulumi CLI and no credentials.

Runs the real `__main__.py` under Pulumi's mocks, prints the resources per workload and every
rendered policy document with its size against the IAM/S3/KMS limit, then sends every resource to
the policy pack over the Analyzer gRPC protocol (as `pulumi preview --policy-pack policies` does).
Exit status: 0 planned and passed the gate, 1 a mandatory policy violation, 2 invalid configuration
(stack file, YAML, config value or component argument), 3 an internal failure of the plan itself.
`make` turns every failure into its own status 2; CI that needs the difference runs
`.venv/bin/python -m tools.plan` directly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Any

import pulumi

from gcp_s3_federation.config import load_config
from gcp_s3_federation.models import LimitsConfig
from tools import yaml_program
from tools.gate import GateResult, markdown, run_gate, table
from tools.mock_cloud import CONFIG_KEY, PROJECT, PlanResult, RecordedResource, read_yaml, run_program, stack_config
from tools.policy_config import declared_members

EXIT_OK, EXIT_VIOLATION, EXIT_CONFIG, EXIT_INTERNAL = 0, 1, 2, 3

# (resource type, input holding a policy document) -> (what it is, size limit in characters)
DOCUMENTS: dict[tuple[str, str], tuple[str, int]] = {
    ("aws:iam/role:Role", "assumeRolePolicy"): ("trust policy", LimitsConfig().trust_policy_chars),
    ("aws:iam/rolePolicy:RolePolicy", "policy"): ("inline identity policy", 10240),
    ("aws:iam/policy:Policy", "policy"): ("managed policy", 6144),
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"): ("bucket policy", 20480),
    ("aws:kms/key:Key", "policy"): ("key policy", 32768),
}

GCP_TRUST_TYPES = ("gcp:serviceaccount/iAMPolicy:IAMPolicy", "gcp:projects/iAMAuditConfig:IAMAuditConfig")


def _minified(document: str) -> str:
    return json.dumps(json.loads(document), separators=(",", ":"))


def documents(resources: list[RecordedResource], trust_limit: int | None = None) -> list[dict[str, Any]]:
    """Every policy document in the plan with its IAM-counted size and limit."""
    found = []
    for resource in resources:
        for (typ, key), (kind, default_limit) in DOCUMENTS.items():
            limit = trust_limit if trust_limit and kind == "trust policy" else default_limit
            if resource.type == typ and isinstance(resource.inputs.get(key), str):
                size = len(_minified(resource.inputs[key]))
                found.append(
                    {
                        "resource": resource.urn,
                        "name": resource.name,
                        "kind": kind,
                        "size": size,
                        "limit": limit,
                        "document": json.loads(resource.inputs[key]),
                    }
                )
    return found


def _owner(resource: RecordedResource, by_urn: dict[str, RecordedResource]) -> str:
    """The workload (or shared piece) a resource belongs to: its top-level component."""
    current = resource
    while current.parent and current.parent in by_urn:
        current = by_urn[current.parent]
    return f"{current.type.split(':')[-1]} {current.name}" if current is not resource else "stack"


def render_text(result: PlanResult, trust_limit: int | None = None) -> str:
    by_urn = {r.urn: r for r in result.resources}
    groups: dict[str, list[RecordedResource]] = defaultdict(list)
    for resource in result.custom_resources:
        groups[_owner(resource, by_urn)].append(resource)
    lines = [f"Plan for stack {result.stack!r}: {len(result.custom_resources)} resources", ""]
    for owner in sorted(groups):
        lines.append(f"{owner}")
        for resource in sorted(groups[owner], key=lambda r: (r.type, r.name)):
            lines.append(f"  + {resource.type:<70} {resource.name}")
        lines.append("")
    lines.append("Policy documents (size as IAM counts it: minified JSON):")
    for doc in sorted(documents(result.custom_resources, trust_limit), key=lambda d: (d["kind"], d["name"])):
        share = 100 * doc["size"] / doc["limit"]
        lines.append(f"\n# {doc['kind']} of {doc['name']}: {doc['size']}/{doc['limit']} chars ({share:.1f}%)")
        lines.append(json.dumps(doc["document"], indent=2))
    lines.append("\nWho may act as each workload service account (authoritative IAM policies):")
    gcp_trust = [r for r in result.custom_resources if r.type in GCP_TRUST_TYPES]
    for resource in sorted(gcp_trust, key=lambda r: (r.type, r.name)):
        if resource.type == "gcp:serviceaccount/iAMPolicy:IAMPolicy":
            lines.append(f"  {resource.name}: {resource.inputs.get('policyData')}")
        else:
            logged = ", ".join(str(c.get("logType")) for c in resource.inputs.get("auditLogConfigs", []))
            lines.append(f"  token minting audited: {resource.inputs.get('service')} Data Access logs ({logged})")
    lines.append("\nOutputs:")
    lines.append(json.dumps(result.outputs, indent=2, sort_keys=True))
    return "\n".join(lines)


def report(result: PlanResult, gate: GateResult | None = None, trust_limit: int | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "stack": result.stack,
        "resources": [
            {**r.report_entry(), "parent": r.parent, "outputs": r.outputs}
            for r in sorted(result.custom_resources, key=lambda r: r.urn)
        ],
        "documents": [
            {k: v for k, v in d.items() if k != "document"} for d in documents(result.custom_resources, trust_limit)
        ],
        "outputs": result.outputs,
    }
    if gate is not None:
        document["violations"] = gate.as_json()
    return document


def _plan(root: Path, stack: str, example: bool) -> tuple[dict[str, Any], PlanResult]:
    """Stack config and plan of this project's program, or of an example (Python or YAML program)."""
    config = stack_config(stack, root)
    if not example:
        return config, run_program(stack, config, program=root / "__main__.py")
    project_file = read_yaml(root / "Pulumi.yaml")
    project = str(project_file.get("name") or PROJECT) if isinstance(project_file, dict) else PROJECT
    if isinstance(project_file, dict) and yaml_program.is_yaml_program(project_file):
        body = partial(yaml_program.run, project_file, project)
        return config, run_program(stack, config, project=project, body=body)
    return config, run_program(stack, config, program=root / "__main__.py", project=project)


def _example_policy_config(example: Path) -> Path | None:
    """An example's own pack config (its declared deployers), when it ships one."""
    path = example / "policy-config.json"
    return path if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", default=os.environ.get("STACK", "dev"))
    parser.add_argument("--report", default=os.environ.get("REPORT") or None, help="write the JSON report here")
    parser.add_argument("--summary", default=os.environ.get("SUMMARY") or None, help="write a Markdown summary here")
    parser.add_argument(
        "--policy-config",
        default=os.environ.get("POLICY_CONFIG") or None,
        help="policy pack config JSON (as --policy-pack-config takes it)",
    )
    parser.add_argument("--no-gate", action="store_true", help="skip the policy pack")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument(
        "--example", type=Path, help="plan the program in this examples/ folder (its Pulumi.<stack>.yaml)"
    )
    args = parser.parse_args(argv)
    try:
        config, result = _plan(args.example or args.root, args.stack, args.example is not None)
        policy_config_file = args.policy_config or (args.example and _example_policy_config(args.example))
        policy_config = json.loads(Path(policy_config_file).read_text()) if policy_config_file else {}
    except (pulumi.RunError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    federation = load_config(config[CONFIG_KEY]) if CONFIG_KEY in config else None
    trust_limit = federation.limits.trust_policy_chars if federation else LimitsConfig().trust_policy_chars
    policy_config.setdefault("gsf025-document-size-limits", {"trustPolicyChars": trust_limit})
    for policy, settings in (declared_members(federation) if federation else {}).items():
        policy_config.setdefault(policy, settings)
    print(render_text(result, trust_limit))
    gate = None
    if not args.no_gate:
        entries = [r.report_entry() for r in result.custom_resources]
        gate = run_gate(entries, config=policy_config, stack=args.stack)
        print("\n" + table(gate))
        if args.summary:
            Path(args.summary).write_text(markdown(gate, args.stack))
            print(f"Markdown summary written to {args.summary}")
    if args.report:
        Path(args.report).write_text(json.dumps(report(result, gate, trust_limit), indent=2) + "\n")
        print(f"Report written to {args.report}")
    return EXIT_VIOLATION if gate is not None and gate.mandatory else EXIT_OK


def run_cli() -> int:
    """`main` for the command line: an unexpected failure exits 3 with its traceback, so that 1 always
    means a policy violation and 2 always a configuration error."""
    try:
        return main()
    except Exception:
        traceback.print_exc()
        print("internal error: the plan itself failed (please report it)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(run_cli())
