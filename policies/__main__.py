"""CrossGuard policy pack entry point: `pulumi preview --policy-pack policies`.

Constructing PolicyPack starts the Analyzer gRPC server and never returns, so it happens only when
this file runs as the pack; the rules themselves live in the importable `gcp_s3_guard` package.
"""

if __name__ == "__main__":
    from gcp_s3_guard.pack import PACK_NAME, policies
    from pulumi_policy import EnforcementLevel, PolicyPack

    PolicyPack(
        name=PACK_NAME,
        policies=policies(),  # type: ignore[arg-type]
        enforcement_level=EnforcementLevel.MANDATORY,
        description="Google Cloud workload to Amazon S3 federation: trust, prefix scoping, encryption, no static keys.",
    )
