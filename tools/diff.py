"""`make diff BASE=<file> HEAD=<file>`: who gains or loses what, between two states of a stack.

Each side is a `make plan` report (REPORT=path) or `pulumi stack export` output. Effective access is
computed on each side from the rendered documents (see tools/access.py), both sides asked the same
probe requests, so an unchanged grant appears in neither list.

Exit status: 0 no access changes, 1 access changes (printed), 2 unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gcp_aws_credentials.state import StackState, StateError, load_state
from tools.access import (
    AccessRow,
    GuardrailChange,
    StackAccess,
    any_role_arn,
    guardrail_changes,
    guardrails,
    named_principals,
    trust_facets,
)

NO_CHANGES = "No access changes."
ABSENT = "—"


@dataclass(frozen=True)
class TrustChange:
    workload: str
    facet: str
    before: str
    after: str


@dataclass
class AccessDiff:
    added: list[AccessRow] = field(default_factory=list)
    removed: list[AccessRow] = field(default_factory=list)
    trust: list[TrustChange] = field(default_factory=list)
    guardrails: list[GuardrailChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.trust or self.guardrails)

    def as_json(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "access_added": [asdict(r) for r in self.added],
            "access_removed": [asdict(r) for r in self.removed],
            "trust_changed": [asdict(t) for t in self.trust],
            "guardrails_changed": [g.as_json() for g in self.guardrails],
        }


def access_diff(base: StackState, head: StackState) -> AccessDiff:
    sides = (StackAccess(base), StackAccess(head))
    buckets = set.union(*(side.buckets() for side in sides))
    probes: dict[str, dict[str, set[str]]] = defaultdict(lambda: {b: {""} for b in buckets})
    for side in sides:
        for workload, docs in side.workloads.items():
            for bucket, prefix in side.targets(docs):
                probes[workload].setdefault(bucket, {""}).add(prefix)
    # a workload whose documents are the same on both sides has the same rows: only the others are asked
    unchanged = {
        workload
        for workload in sides[0].workloads.keys() & sides[1].workloads.keys()
        if sides[0].fingerprint(workload, probes[workload]) == sides[1].fingerprint(workload, probes[workload])
    }
    granted_before, granted_after = (
        {row for workload in side.workloads.keys() - unchanged for row in side.rows(workload, probes[workload])}
        for side in sides
    )
    diff = AccessDiff(added=sorted(granted_after - granted_before), removed=sorted(granted_before - granted_after))
    for workload in sorted(sides[0].workloads.keys() | sides[1].workloads.keys()):
        facets = [
            trust_facets(side.state, side.workloads[workload]) if workload in side.workloads else None for side in sides
        ]
        if facets[0] is None or facets[1] is None:
            known = facets[0] or facets[1] or {}
            role = known.get("role", ABSENT)
            diff.trust.append(
                TrustChange(
                    workload, "role", ABSENT if facets[0] is None else role, ABSENT if facets[1] is None else role
                )
            )
            continue
        diff.trust += [
            TrustChange(workload, name, value, facets[1][name])
            for name, value in facets[0].items()
            if facets[1].get(name) != value
        ]
    inside = any_role_arn(base, head)
    old, new = guardrails(base), guardrails(head)
    for title in sorted(old.keys() | new.keys()):
        guard = new.get(title) or old[title]
        before, after = (side[title].document if title in side else None for side in (old, new))
        named = named_principals(before) | named_principals(after)
        diff.guardrails += guardrail_changes(title, before, after, guard.probes(inside, named))
    return diff


def _compact(rows: list[AccessRow]) -> list[AccessRow]:
    """Rows not implied by a wider `…*` row of the same workload, bucket and access in the same list."""
    wide = defaultdict(list)
    for row in rows:
        if row.prefix.endswith("*"):
            wide[(row.workload, row.principal, row.role, row.bucket, row.access)].append(row.prefix[:-1])
    return [
        row
        for row in rows
        if row.prefix.startswith("(")
        or not any(
            row.prefix.startswith(stem) and row.prefix != f"{stem}*"
            for stem in wide[(row.workload, row.principal, row.role, row.bucket, row.access)]
        )
    ]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|") if text else ABSENT

    lines = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
    return lines + [f"| {' | '.join(cell(c) for c in row)} |" for row in rows]


def markdown(diff: AccessDiff, base: str = "base", head: str = "head") -> str:
    if not diff.changed:
        return NO_CHANGES
    lines = [
        f"Effective access, {base} → {head} (evaluated from the rendered trust, identity, bucket and key policies)."
    ]
    access_header = ["Workload", "GCP principal", "AWS role", "Bucket", "Prefix", "Access"]
    for title, rows in (("Access added", diff.added), ("Access removed", diff.removed)):
        if rows:
            shown = _compact(rows)
            lines += ["", f"### {title}", ""]
            lines += _table(
                access_header, [[r.workload, r.principal, r.role, r.bucket, f"`{r.prefix}`", r.access] for r in shown]
            )
    if diff.trust:
        lines += ["", "### Trust changed", ""]
        lines += _table(
            ["Workload", "What", "Before", "After"], [[t.workload, t.facet, t.before, t.after] for t in diff.trust]
        )
    if diff.guardrails:
        lines += ["", "### Guardrails changed", ""]
        lines += _table(
            ["Document", "Statement", "Change", "Effect", "Requests whose outcome flips"],
            [[g.document, g.statement, g.change, g.effect, "; ".join(g.probes)] for g in diff.guardrails],
        )
    lines += [
        "",
        "Prefix `p/*`: objects under p/; `p/` and `p`: those exact keys; `p*`: keys beside p/ (e.g. `p-x/`); "
        "`(bucket key)`: the KMS call S3 makes with the bucket's key. Wider rows hide the rows they imply.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", required=True, help="plan report or `pulumi stack export` JSON")
    parser.add_argument("--head", required=True, help="plan report or `pulumi stack export` JSON")
    parser.add_argument("--json", dest="json_path", help="also write the comparison as JSON here")
    parser.add_argument("--markdown", help="also write the Markdown here (for a PR comment)")
    args = parser.parse_args(argv)
    try:
        base, head = (load_state(Path(path).read_text()) for path in (args.base, args.head))
        diff = access_diff(base, head)
    except (OSError, StateError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = markdown(diff, Path(args.base).name, Path(args.head).name)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(diff.as_json(), indent=2) + "\n")
    return 1 if diff.changed else 0


if __name__ == "__main__":
    sys.exit(main())
