"""Pulumi program: read the `federation` setting, validate it, declare the stack."""

import gc

import pulumi

from gcp_s3_federation import ConfigError, build_stack, load_config

# A plan keeps nearly every object it creates (resources, Outputs, futures) until it ends, so the
# cyclic collector's full passes rescan a heap that only grows. Everything imported so far lives as
# long as the program: freeze it out of every pass, and make full passes rare (bench/plan.py).
gc.freeze()
gc.set_threshold(700, 10, 1000)

try:
    federation = load_config(pulumi.Config().require_object("federation"))
except ConfigError as error:
    # RunError prints the message without a traceback, and nothing has been declared yet.
    raise pulumi.RunError(str(error)) from None

for key, value in build_stack(federation).items():
    pulumi.export(key, value)
