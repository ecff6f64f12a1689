"""Pulumi component provider: hosts the gcp_s3_federation components for every Pulumi language."""

from pulumi.provider.experimental import component_provider_host

from gcp_s3_federation import COMPONENTS, __version__

PACKAGE_NAME = "gcp-s3-federation"

if __name__ == "__main__":
    component_provider_host(list(COMPONENTS), name=PACKAGE_NAME, version=__version__)
