"""Render the policy pack's rules as the README's Markdown table (`python -m tools.rules_table`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
sys.path.insert(0, str(ROOT / "policies"))  # the pack directory, as the policy runtime puts it on sys.path

from gcp_s3_guard.rules import RULES  # noqa: E402

BEGIN, END = "<!-- rules:begin -->", "<!-- rules:end -->"


def render() -> str:
    lines = ["| Id | Policy name | Level | What | Why | Fix |", "| --- | --- | --- | --- | --- | --- |"]
    for rule in RULES:
        cells = (rule.id, f"`{rule.name}`", rule.level, rule.description, rule.why, rule.fix)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def readme_table(text: str) -> str:
    match = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, flags=re.DOTALL)
    return match.group(1) if match else ""


def main() -> int:
    text = README.read_text()
    pattern = re.escape(BEGIN) + ".*?" + re.escape(END)
    updated = re.sub(pattern, lambda _: f"{BEGIN}\n{render()}\n{END}", text, count=1, flags=re.DOTALL)
    if "--write" in sys.argv:
        README.write_text(updated)
    else:
        print(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
