"""Pulumi program: read the `federation` setting, validate it, declare the stack."""

import pulumi

from gcp_s3_federation import ConfigError, build_stack, load_config

try:
    federation = load_config(pulumi.Config().require_object("federation"))
except ConfigError as error:
    # RunError prints the message without a traceback, and nothing has been declared yet.
    raise pulumi.RunError(str(error)) from None

for key, value in build_stack(federation).items():
    pulumi.export(key, value)
