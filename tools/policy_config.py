"""The policy pack's declaration of who may act as each workload service account, from a stack's config.

GSF041 lets only declared members hold token-minting or actAs roles on a service account. The pack
shares no code with the components, so the declaration reaches it as pack config:

    python -m tools.policy_config dev > policy-config.dev.json
    pulumi preview -s dev --policy-pack policies --policy-pack-config policy-config.dev.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from gcp_s3_federation.config import FederationConfig, load_config
from gcp_s3_federation.gcp_iam import service_account_email
from tools.mock_cloud import CONFIG_KEY, stack_config

DECLARED_MEMBERS_POLICY = "gsf041-stack-service-account-grants-declared"


def declared_members(config: FederationConfig) -> dict[str, Any]:
    """Pack config: the deployers, and each workload service account's token creators."""
    token_creators = {
        service_account_email(w.account_id, config.gcp.project): sorted(t.member for t in w.token_creators)
        for w in config.workloads
        if w.token_creators
    }
    return {DECLARED_MEMBERS_POLICY: {"deployers": sorted(config.gcp.deployers), "tokenCreators": token_creators}}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tools.policy_config <stack>", file=sys.stderr)
        return 2
    config = load_config(stack_config(args[0])[CONFIG_KEY])
    print(json.dumps(declared_members(config), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
