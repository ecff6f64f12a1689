"""Loading the stack configuration: one structured setting, validated before any resource is declared.

The whole stack is described by the `gcp-s3-federation:federation` config value. `load_config` turns
the raw JSON into a frozen `FederationConfig` or raises `ConfigError`, whose lines each name a field
path and the rule it broke. The field rules live in `fields.py`, the models in `models.py` and the
size budgets in `budget.py`; this module only adds the rules that span entries and the error format.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from .budget import budget_problems
from .fields import MAX_OIDC_CLIENT_IDS, key_placement_problem
from .models import FederationConfig

__all__ = ["ConfigError", "FederationConfig", "load_config"]


class ConfigError(Exception):
    """Invalid stack configuration; each line names a field path and the rule it broke."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid federation config:\n" + "\n".join(f"  - {p}" for p in problems))


def _cross_field_problems(config: FederationConfig) -> list[str]:
    """Rules that span several entries; each names the path of the offending entry."""
    problems: list[str] = []
    _duplicates(problems, "buckets", "name", [b.name for b in config.buckets])
    _duplicates(problems, "workloads", "name", [w.name for w in config.workloads])
    _duplicates(problems, "workloads", "service_account_id", [w.account_id for w in config.workloads])
    if config.trust.mode == "oidc-provider" and len(config.workloads) + 1 > MAX_OIDC_CLIENT_IDS:
        problems.append(
            f"workloads: {len(config.workloads)} workloads plus the audience exceed the IAM OIDC provider's "
            f"{MAX_OIDC_CLIENT_IDS} client ids; use trust.mode builtin or split the stack"
        )
    for index, bucket in enumerate(config.buckets):
        placement = bucket.kms_key_arn and key_placement_problem(
            bucket.kms_key_arn, config.aws.region, config.aws.account_id
        )
        if placement:
            problems.append(f"buckets[{index}].kms_key_arn: {placement}")
    bucket_names = {b.name for b in config.buckets}
    for w_index, workload in enumerate(config.workloads):
        for g_index, grant in enumerate(workload.grants):
            path = f"workloads[{w_index}].grants[{g_index}]"
            if grant.bucket not in bucket_names:
                problems.append(f"{path}.bucket: {grant.bucket!r} is not declared under buckets")
            for o_index, other in enumerate(workload.grants[:g_index]):
                if other.bucket != grant.bucket:
                    continue
                if other.prefix == grant.prefix:
                    problems.append(f"{path}.prefix: duplicates grants[{o_index}] ({grant.prefix!r}); merge them")
                elif grant.prefix.startswith(other.prefix) or other.prefix.startswith(grant.prefix):
                    problems.append(
                        f"{path}.prefix: {grant.prefix!r} overlaps grants[{o_index}] ({other.prefix!r}); "
                        "keep one grant per prefix tree"
                    )
    return problems


def _duplicates(problems: list[str], collection: str, field: str, values: list[str]) -> None:
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            problems.append(f"{collection}[{index}].{field}: {value!r} duplicates {collection}[{seen[value]}]")
        else:
            seen[value] = index


def _format_location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _format_error(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; see the config reference in README.md)"
    elif error["type"] == "missing":
        message = "is required"
    elif error["type"] == "string_type" and isinstance(error.get("input"), int | float):
        message = (
            f"must be a string, but YAML read the number {error['input']!r}: quote it "
            '(e.g. account_id: "011122223333"), or leading zeros are lost'
        )
    return f"{_format_location(tuple(error['loc']))}: {message}"


def _own_errors(errors: list[Any]) -> list[Any]:
    """Drop a container's "too short" error when an entry inside it failed: the entry is the cause."""
    failed_inside = [tuple(e["loc"]) for e in errors]
    return [
        e
        for e in errors
        if e["type"] != "too_short"
        or not any(loc[: len(e["loc"])] == tuple(e["loc"]) and len(loc) > len(e["loc"]) for loc in failed_inside)
    ]


def load_config(raw: Any) -> FederationConfig:
    """Validate the raw `federation` config value; raise ConfigError naming every problem."""
    if not isinstance(raw, dict):
        raise ConfigError(["(top level): the federation setting must be a mapping"])
    try:
        config = FederationConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError([_format_error(e) for e in _own_errors(error.errors())]) from None
    problems = _cross_field_problems(config)
    if not problems:
        problems = budget_problems(config)  # measures documents, so it needs a consistent config
    if problems:
        raise ConfigError(problems)
    return config
