"""Turn the rule catalogue into pulumi_policy policies (the only module that imports the SDK)."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .model import Resource, Rule
from .rules import RULES

PACK_NAME = "gcp-s3-federation"
_LEVELS = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}


def message(rule: Rule, problem: str) -> str:
    return f"[{rule.id}] {problem}. Fix: {rule.fix} Why: {rule.why}"


def _schema(rule: Rule) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties=dict(rule.config_schema)) if rule.config_schema else None


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    check = rule.check
    assert check is not None

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not rule.applies_to(args.resource_type):
            return
        resource = Resource(args.resource_type, args.urn, args.name, args.props)
        for problem in check(resource, rule.settings(args.get_config())):
            report_violation(message(rule, problem), None)

    return ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=_LEVELS[rule.level],
        config_schema=_schema(rule),
    )


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    stack_check = rule.stack_check
    assert stack_check is not None

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [Resource(r.resource_type, r.urn, r.name, r.props) for r in args.resources]
        for urn, problem in stack_check(resources, rule.settings(args.get_config())):
            report_violation(message(rule, problem), urn)

    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=_LEVELS[rule.level],
        config_schema=_schema(rule),
    )


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [_resource_policy(r) if r.check is not None else _stack_policy(r) for r in RULES]
